"""Run the real project in a subprocess on 127.0.0.1 for tests that need real sockets.

    with live_server(plugins="riskcast") as server:
        httpx.get(f"{server.url}/readyz", headers=server.auth_headers)

The server gets its own temporary ``OMEN_DATA_DIR`` (SQLite files for both aliases), a fresh
bootstrap API key with every scope, and is migrated on both aliases before it starts. It is
served by gunicorn (WSGI, threads) or uvicorn (ASGI), waited for until ``/readyz`` answers 200,
and on exit receives SIGTERM, then SIGKILL if it has not exited within ``stop_timeout``.
This module knows no app: which ones run is the ``plugins`` argument.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from omenproject.keys import generate_key

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("gunicorn", "uvicorn", "serve")


class LiveServerError(RuntimeError):
    """The server did not migrate or did not become ready; the message ends with its log."""


@dataclass
class LiveServer:
    url: str
    api_key: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen = field(repr=False)
    log_path: Path = field(repr=False)

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    """A port that was free a moment ago (the OS picks it; the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(server: str, port: int, *, workers: int, threads: int) -> list[str]:
    """The argv serving the project on 127.0.0.1:``port``."""
    bin_dir = Path(sys.executable).parent
    if server == "gunicorn":
        return [
            str(bin_dir / "gunicorn"),
            "omenproject.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--graceful-timeout=5",
            "--keep-alive=30",
            "--backlog=2048",
        ]
    if server == "uvicorn":
        return [
            str(bin_dir / "uvicorn"),
            "omenproject.asgi:application",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--workers={workers}",
            "--no-access-log",
            "--timeout-graceful-shutdown=5",
        ]
    if server == "serve":  # manage.py serve: one uvicorn process, exit 0 after a graceful stop
        return [sys.executable, "manage.py", "serve", f"--port={port}"]
    raise ValueError(f"unknown server {server!r} (choose from {', '.join(SERVERS)})")


def _environment(data_dir: Path, api_key: str, plugins: str, extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMEN_", "RISKCAST_", "LEDGER_", "EMITTER_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "omenproject.settings",
            "OMEN_PLUGINS": plugins,
            "OMEN_DATA_DIR": str(data_dir),
            "OMEN_BOOTSTRAP_API_KEY": api_key,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def _migrate(env: dict[str, str], log_path: Path) -> None:
    for alias in ("default", "riskcast"):
        with log_path.open("ab") as log:
            done = subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0", "--database", alias],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if done.returncode != 0:
            raise LiveServerError(f"migrate --database {alias} failed:\n{log_path.read_text(errors='replace')[-4000:]}")


def _wait_ready(server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise LiveServerError(f"the server exited with {server.process.returncode}:\n{server.log_tail()}")
            try:
                response = client.get(f"{server.url}/readyz")
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:300]}"
            except httpx.TransportError as exc:
                last = exc.__class__.__name__
            time.sleep(0.05)
    raise LiveServerError(f"/readyz not 200 within {timeout}s (last: {last}):\n{server.log_tail()}")


def stop(process: subprocess.Popen, timeout: float) -> int:
    """SIGTERM the server's process group, SIGKILL it after ``timeout`` seconds; the exit code."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return process.returncode


@contextlib.contextmanager
def live_server(
    *,
    plugins: str = "all",
    server: str = "gunicorn",
    workers: int = 2,
    threads: int = 16,
    riskcast_database_url: str | None = None,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    data_dir: Path | None = None,
    ready_timeout: float = 30.0,
    stop_timeout: float = 10.0,
    port: int | None = None,
) -> Iterator[LiveServer]:
    """Migrate, start and wait for the project; yield a ``LiveServer``; stop it on exit.

    ``env`` adds or overrides environment variables (e.g. ``SQLITE_BUSY_TIMEOUT_MS``).
    Without ``data_dir`` a temporary folder is used and removed afterwards.
    """
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="omen-live-")))
        data_dir.mkdir(parents=True, exist_ok=True)
        api_key, _ = generate_key()
        extra = dict(env or {})
        if riskcast_database_url:
            extra["RISKCAST_DATABASE_URL"] = riskcast_database_url
        if database_url:
            extra["DATABASE_URL"] = database_url
        environment = _environment(data_dir, api_key, plugins, extra)
        log_path = data_dir / "server.log"
        _migrate(environment, log_path)
        port = port or free_port()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                server_command(server, port, workers=workers, threads=threads),
                cwd=PROJECT_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: SIGTERM reaches every worker
            )
        stack.callback(stop, process, stop_timeout)
        live = LiveServer(
            url=f"http://127.0.0.1:{port}",
            api_key=api_key,
            data_dir=data_dir,
            env=environment,
            process=process,
            log_path=log_path,
        )
        _wait_ready(live, ready_timeout)
        yield live


def live_server_fixture(*, scope: str = "module", **options):
    """A pytest fixture running ``live_server(**options)``:

    riskcast_server = live_server_fixture(plugins="riskcast")

    def test_it_answers(riskcast_server):
        httpx.get(riskcast_server.url + "/healthz")
    """
    import pytest

    @pytest.fixture(scope=scope)
    def _fixture():
        with live_server(**options) as server:
            yield server

    return _fixture
