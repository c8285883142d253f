"""Reading configuration from the environment, failing loudly on bad values.

Every setting OMEN reads from the environment goes through these helpers so that a bad
value stops startup with one line naming the variable (see ``ConfigError``), never a
traceback from deep inside Django.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured


class ConfigError(ImproperlyConfigured):
    """A bad environment variable. ``str()`` is the one line an operator sees."""

    def __init__(self, variable: str, problem: str):
        self.variable = variable
        self.problem = problem
        super().__init__(f"configuration error: {variable}: {problem}")


_env = environ.Env()


def is_set(name: str) -> bool:
    return os.environ.get(name, "") != ""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, "") or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"expected a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number, got {raw!r}") from None
    if not value >= minimum:  # also rejects NaN
        raise ConfigError(name, f"must be at least {minimum}, got {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser().resolve() if raw else default


_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}


def env_db(name: str, default_sqlite_path: Path, *, busy_timeout_ms: int) -> dict:
    """A DATABASES entry from ``name`` (a URL) or the SQLite default.

    SQLite always gets WAL, ``synchronous=FULL``, a busy timeout and ``BEGIN IMMEDIATE``
    for writes, whether it is the default or chosen by URL.
    """
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return sqlite_db(default_sqlite_path, busy_timeout_ms=busy_timeout_ms)
    scheme = urlsplit(raw).scheme
    if scheme not in _DB_SCHEMES:
        raise ConfigError(
            name, f"unsupported or unparsable database URL (scheme {scheme!r}; use sqlite:// or postgres://)"
        )
    try:
        parsed = _env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ConfigError(name, f"unparsable database URL ({exc.__class__.__name__})") from None
    if parsed["ENGINE"] == "django.db.backends.sqlite3":
        return sqlite_db(Path(parsed["NAME"]), busy_timeout_ms=busy_timeout_ms)
    if not parsed.get("NAME"):
        raise ConfigError(name, "the URL names no database")
    parsed["CONN_MAX_AGE"] = 0
    parsed.setdefault("OPTIONS", {})
    return parsed


def sqlite_db(path: Path, *, busy_timeout_ms: int) -> dict:
    # init_command runs on every new connection: WAL survives in the file, but
    # synchronous and busy_timeout are per connection.
    pragmas = (
        f"PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA busy_timeout={busy_timeout_ms};PRAGMA foreign_keys=ON;"
    )
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Tests get a file too (not :memory:), so they see the same locking as production.
        "TEST": {"NAME": str(path.with_name(f"test_{path.name}"))},
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": busy_timeout_ms / 1000,
            "init_command": pragmas,
        },
    }


def env_cache(name: str) -> dict:
    """``locmem://`` (default, per process) or ``redis://host:port/db`` (shared by workers)."""
    raw = os.environ.get(name, "").strip() or "locmem://"
    scheme = urlsplit(raw).scheme
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "omen"}
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw}
    raise ConfigError(name, f"unsupported cache URL scheme {scheme!r} (use locmem:// or redis://)")


def env_channel_layer(name: str) -> dict:
    """In-memory (default, one process) or ``redis://`` through channels-redis."""
    raw = os.environ.get(name, "").strip() or "memory://"
    scheme = urlsplit(raw).scheme
    if scheme == "memory":
        return {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [raw]}}
    raise ConfigError(name, f"unsupported channel layer URL scheme {scheme!r} (use memory:// or redis://)")
