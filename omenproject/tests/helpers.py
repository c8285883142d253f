"""Run ``manage.py`` in a child process with a chosen environment (settings load per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "p9Xr2-kQ7vLm4Tz8Wn1Yc6Hb3Jd5Fg0Ks9Ae2Ru7Io4Pl1Mx8Nv3Bq6Zt5Cy0Wh"
_OMEN_VARS = (
    "OMEN_",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "RISKCAST_",
    "LEDGER_",
    "CACHE_URL",
    "CHANNEL_LAYER_URL",
    "LOG_LEVEL",
    "SECURE_",
    "DJANGO_SETTINGS_MODULE",
)


def clean_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OMEN_VARS)}
    env["OMEN_DATA_DIR"] = str(tmp_path / "data")
    env.update(overrides)
    return env


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    base = {"DEBUG": "false", "SECRET_KEY": PRODUCTION_SECRET, "ALLOWED_HOSTS": "omen.example"}
    return clean_env(tmp_path, **(base | overrides))


def run_manage(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_python(code: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
