"""JSON log lines with trace ids, and redaction of secrets by key and by value pattern.

Every logger (Django, the apps, the servers) goes through ``JsonFormatter``: one object per
line with ``ts`` (RFC 3339 UTC, ``Z``), ``level``, ``logger``, ``message``, ``trace_id`` and the
record's structured extras. ``redact`` runs over the message, the extras and exception text.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from omenproject.tracing import current_trace_id

REDACTED = "[REDACTED]"
SECRET_KEYS = frozenset(
    {
        "authorization",
        "api_key",
        "apikey",
        "x-api-key",
        "x_api_key",
        "http_authorization",
        "http_x_api_key",
        "password",
        "passwd",
        "secret",
        "secret_key",
        "token",
        "access_token",
        "refresh_token",
        "cookie",
        "http_cookie",
        "set-cookie",
        "sessionid",
        "csrftoken",
        "dsn",
        "key",
    }
)
_VALUE_PATTERNS = [
    (re.compile(r"omen_[a-z2-7]{8}_[A-Za-z0-9_-]{43}"), REDACTED),
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(?i)((?:password|passwd|secret|token|api_key)\s*[=:]\s*)[^\s,;&'\"]+"), r"\1" + REDACTED),
]
# Attributes every LogRecord has; anything else was passed as ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
    "server_time",
}


def redact_text(text: str) -> str:
    for pattern, replacement in _VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with secrets replaced, by key name and by value pattern."""
    if depth > 6:
        return "..."
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in SECRET_KEYS else redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))


def utc_timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        entry: dict[str, Any] = {
            "ts": utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_text(message),
            "trace_id": None,
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            entry["request"] = {"method": request.method, "path": request.path}
        entry["trace_id"] = (
            getattr(record, "trace_id", None) or getattr(request, "trace_id", None) or current_trace_id() or None
        )
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry and name != "request":
                entry[name] = REDACTED if name.lower() in SECRET_KEYS else redact(value)
        if record.exc_info:
            entry["exc"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(level: str) -> dict:
    """The LOGGING dict: every logger, the servers' included, as JSON on stdout."""
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
    server_loggers = (
        "django",
        "django.server",
        "django.request",
        "uvicorn",
        "uvicorn.error",
        "uvicorn.access",
        "daphne",
        "gunicorn.error",
        "gunicorn.access",
        "py.warnings",
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": handler},
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {name: {"handlers": ["stdout"], "level": level, "propagate": False} for name in server_loggers},
    }
