"""Cross-cutting HTTP middleware: JSON 404s, body limit, security headers, audit of mutating API calls."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from omenproject import lifecycle
from omenproject.auth import actor_of, presented_key
from omenproject.errors import json_error_response
from omenproject.keys import parse_prefix
from omenproject.services import audit_record

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class ApiNotFoundMiddleware:
    """An API path that matches no route answers the JSON error body, with DEBUG on too.

    ``handler404`` covers DEBUG off; with DEBUG on Django answers its HTML debug page instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and _is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return json_error_response(404, "not_found", "Not found.")
        return response


class BodyLimitMiddleware:
    """Refuse a body above ``OMEN_MAX_BODY_BYTES`` with 413 before anything parses it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return json_error_response(400, "validation_error", "Bad Content-Length.", {"content_length": [raw[:40]]})
        if length > settings.OMEN_MAX_BODY_BYTES:
            return json_error_response(
                413,
                "payload_too_large",
                "The request body is larger than the limit.",
                {"limit_bytes": settings.OMEN_MAX_BODY_BYTES, "content_length": length},
            )
        return self.get_response(request)


class DrainingMiddleware:
    """While draining, refuse new mutating API calls with 503 ``shutting_down``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if lifecycle.is_draining() and request.method in MUTATING and _is_api(request):
            response = json_error_response(503, "shutting_down", "The service is shutting down; retry elsewhere.")
            response["Retry-After"] = "1"
            return response
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """CSP for every page, no caching of API answers (nosniff/frame/referrer come from Django)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.OMEN_CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if _is_api(request):
            response["Cache-Control"] = "no-store"
        return response


class AuditMiddleware:
    """Write an audit event for every mutating API call, whatever its outcome, and for every
    refused API call (401, 403, 429), reads included: failed authentication is what an audit
    log is read for.

    A client past its rate limit would otherwise buy one database write per refused request,
    so a 429 is recorded once per actor and window (``OMEN_AUDIT_THROTTLED_WINDOW_S``); the
    counter ``omen_errors_total{code="rate_limited"}`` still counts every one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if _is_api(request) and (request.method in MUTATING or status in REFUSED):
            actor = actor_of(request)
            if status != 429 or _first_throttled(actor, request.META.get("REMOTE_ADDR")):
                match = getattr(request, "resolver_match", None)
                details = {"method": request.method}
                if status == 401 and (prefix := _presented_prefix(request)):
                    details["presented_key_prefix"] = prefix  # the public part only
                audit_record(
                    actor=actor,
                    action=f"api.{match.url_name if match and match.url_name else 'unknown'}",
                    target=request.path,
                    outcome=str(status),
                    client_ip=request.META.get("REMOTE_ADDR"),
                    details=details,
                )
        return response


REFUSED = frozenset({401, 403, 429})


def _first_throttled(actor: str, client_ip: str | None) -> bool:
    key = f"omen:audit-throttled:{actor}:{client_ip if actor == 'anonymous' else ''}"
    return cache.add(key, 1, timeout=settings.OMEN_AUDIT_THROTTLED_WINDOW_S)


def _presented_prefix(request) -> str | None:
    key = presented_key(request)
    return parse_prefix(key) if key else None
