"""Trace ids: taken from ``traceparent`` or ``X-Trace-Id`` when valid, generated otherwise.

The id lives in a contextvar for the whole request so that every log line, error body,
ledger record and outgoing call can carry it, and it is returned as ``X-Trace-Id``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

TRACE_HEADER = "X-Trace-Id"
access_logger = logging.getLogger("omen.access")
_trace_id: contextvars.ContextVar[str] = contextvars.ContextVar("omen_trace_id", default="")

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def new_trace_id() -> str:
    return secrets.token_hex(16)


def current_trace_id() -> str:
    return _trace_id.get()


def bind_trace_id(trace_id: str) -> contextvars.Token:
    return _trace_id.set(trace_id)


def reset_trace_id(token: contextvars.Token) -> None:
    _trace_id.reset(token)


def trace_id_from_headers(traceparent: str | None, x_trace_id: str | None) -> str:
    """The incoming trace id if one is valid, else a fresh one. All-zero ids are invalid."""
    if traceparent:
        match = _TRACEPARENT.match(traceparent.strip().lower())
        if match and match.group(1) != "0" * 32:
            return match.group(1)
    if x_trace_id:
        candidate = x_trace_id.strip().lower().replace("-", "")
        if _TRACE_ID.match(candidate) and candidate != "0" * 32:
            return candidate
    return new_trace_id()


class TraceMiddleware:
    """Bind the request's trace id for its lifetime and echo it in the response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _bind(self, request) -> contextvars.Token:
        trace_id = trace_id_from_headers(request.headers.get("traceparent"), request.headers.get(TRACE_HEADER))
        request.trace_id = trace_id
        return bind_trace_id(trace_id)

    @staticmethod
    def _finish(request, response, started: float):
        response[TRACE_HEADER] = request.trace_id
        access_logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client_ip": request.META.get("REMOTE_ADDR"),
            },
        )
        return response

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        started, token = time.perf_counter(), self._bind(request)
        try:
            return self._finish(request, self.get_response(request), started)
        finally:
            reset_trace_id(token)

    async def __acall__(self, request):
        started, token = time.perf_counter(), self._bind(request)
        try:
            return self._finish(request, await self.get_response(request), started)
        finally:
            reset_trace_id(token)
