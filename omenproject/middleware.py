"""Cross-cutting HTTP middleware: JSON 404s, body limit, security headers, audit of mutating API calls."""

from __future__ import annotations

from django.conf import settings

from omenproject import lifecycle
from omenproject.auth import actor_of
from omenproject.errors import json_error_response
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
    """Write an audit event for every mutating API call, whatever its outcome."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in MUTATING and _is_api(request):
            match = getattr(request, "resolver_match", None)
            audit_record(
                actor=actor_of(request),
                action=f"api.{match.url_name if match and match.url_name else 'unknown'}",
                target=request.path,
                outcome=str(response.status_code),
                client_ip=request.META.get("REMOTE_ADDR"),
                details={"method": request.method},
            )
        return response
