"""The error taxonomy: every API error is rendered as one body by one handler.

    {"error": {"code": "...", "message": "...", "details": {...}, "trace_id": "..."}}

Errors are classified where they are raised: subclass ``OmenError`` with a ``status_code``,
a stable ``default_code`` (listed in docs/errors.md) and whether it is ``permanent``.
"""

from __future__ import annotations

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from omenproject.metrics import ERRORS_TOTAL
from omenproject.tracing import current_trace_id

logger = logging.getLogger("omen.errors")


class OmenError(drf.APIException):
    """Base of the project's API errors."""

    status_code = 500
    default_code = "internal_error"
    default_detail = "An internal error occurred."
    permanent = False

    def __init__(self, message: str | None = None, *, details: dict | None = None, retry_after: float | None = None):
        super().__init__(message or self.default_detail, self.default_code)
        self.details = details or {}
        self.retry_after = retry_after


class ValidationFailed(OmenError):
    status_code = 400
    default_code = "validation_error"
    default_detail = "The request is invalid."
    permanent = True


class UnsupportedSchemaVersion(OmenError):
    status_code = 400
    default_code = "unsupported_schema_version"
    default_detail = "The schema version is not supported."
    permanent = True


class AuthRequired(OmenError):
    status_code = 401
    default_code = "auth_required"
    default_detail = "An API key is required."
    permanent = True


class AuthInvalid(OmenError):
    status_code = 401
    default_code = "auth_invalid"
    default_detail = "The API key is unknown, revoked or expired."
    permanent = True


class ForbiddenScope(OmenError):
    status_code = 403
    default_code = "forbidden_scope"
    default_detail = "The API key lacks the scope this endpoint needs."
    permanent = True


class NotFound(OmenError):
    status_code = 404
    default_code = "not_found"
    default_detail = "Not found."
    permanent = True


class Conflict(OmenError):
    status_code = 409
    default_code = "conflict_payload_mismatch"
    default_detail = "The same id was already used with a different payload."
    permanent = True


class PayloadTooLarge(OmenError):
    status_code = 413
    default_code = "payload_too_large"
    default_detail = "The request body is larger than the limit."
    permanent = True


class RateLimited(OmenError):
    status_code = 429
    default_code = "rate_limited"
    default_detail = "Too many requests; retry after the given delay."


class LedgerUnavailable(OmenError):
    status_code = 503
    default_code = "ledger_unavailable"
    default_detail = "The ledger cannot accept writes; nothing was stored or sent."


class LedgerBusy(OmenError):
    status_code = 503
    default_code = "ledger_busy"
    default_detail = "The ledger is saturated; retry after the given delay."


class Overloaded(OmenError):
    status_code = 503
    default_code = "overloaded"
    default_detail = "The service is overloaded; retry after the given delay."


class ShuttingDown(OmenError):
    status_code = 503
    default_code = "shutting_down"
    default_detail = "The service is shutting down; retry on another instance."


# DRF's own exceptions, mapped onto the taxonomy: (code, status) by class.
_DRF_CODES: list[tuple[type[drf.APIException], str, int]] = [
    (drf.NotAuthenticated, "auth_required", 401),
    (drf.AuthenticationFailed, "auth_invalid", 401),
    (drf.PermissionDenied, "forbidden", 403),
    (drf.NotFound, "not_found", 404),
    (drf.MethodNotAllowed, "method_not_allowed", 405),
    (drf.NotAcceptable, "not_acceptable", 406),
    (drf.Throttled, "rate_limited", 429),
    # Not JSON, wrong content type: the body is invalid, so both are validation errors.
    (drf.ParseError, "validation_error", 400),
    (drf.UnsupportedMediaType, "validation_error", 400),
    (drf.ValidationError, "validation_error", 400),
]


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}, "trace_id": current_trace_id()}}


def _details_of(exc: drf.APIException) -> dict:
    if isinstance(exc, drf.ValidationError):
        detail = exc.detail
        return detail if isinstance(detail, dict) else {"non_field_errors": detail}
    if isinstance(exc, drf.ParseError):
        return {"body": [str(exc.detail)]}
    if isinstance(exc, drf.UnsupportedMediaType):
        return {"content_type": [str(exc.detail)]}
    return {}


def _message_of(exc: drf.APIException, code: str) -> str:
    if isinstance(exc, drf.ValidationError):
        return "The request is invalid."
    return str(exc.detail) if not isinstance(exc.detail, (list, dict)) else code.replace("_", " ")


def classify(exc: Exception) -> tuple[int, str, str, dict, float | None]:
    """(status, code, message, details, retry_after) for any exception."""
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, OmenError):
        return exc.status_code, exc.default_code, str(exc.detail), exc.details, exc.retry_after
    if isinstance(exc, drf.APIException):
        for klass, code, status in _DRF_CODES:
            if isinstance(exc, klass):
                retry = getattr(exc, "wait", None)
                return status, code, _message_of(exc, code), _details_of(exc), retry
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        return exc.status_code, str(code), _message_of(exc, str(code)), _details_of(exc), None
    return 500, "internal_error", "An internal error occurred.", {}, None


def _retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: render any exception as the one error body."""
    status, code, message, details, retry_after = classify(exc)
    if status >= 500 and code == "internal_error":
        logger.error("unhandled error", exc_info=exc)
    ERRORS_TOTAL.labels(code=code).inc()
    response = Response(error_body(code, message, details), status=status)
    if retry_after is not None:
        response["Retry-After"] = _retry_after_header(retry_after)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="omen"'
    return response


def json_error_response(status: int, code: str, message: str, details: dict | None = None) -> JsonResponse:
    """The same body for errors raised outside DRF (middleware, Django's 404/500 handlers)."""
    ERRORS_TOTAL.labels(code=code).inc()
    return JsonResponse(error_body(code, message, details), status=status)
