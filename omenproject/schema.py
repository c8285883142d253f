"""OpenAPI: the project's authentication schemes and the error responses of every operation.

Loaded by the platform app; the hook is listed in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "omenproject.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An OMEN API key: `Bearer omen_<prefix>_<secret>`."}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "omenproject.auth.StaffSessionAuthentication"
    name = "StaffSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class StrictSerializerScheme(OpenApiSerializerExtension):
    """A StrictSerializer refuses unknown keys: say so (``additionalProperties: false``)."""

    target_class = "omenproject.signals.fields.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        return schema


# --- error responses ----------------------------------------------------------------------
# Every API error has one body (omenproject.errors.error_body, docs/errors.md). The hook below
# puts it in the schema once, as the `Error` component, and adds to every operation the errors
# any endpoint can answer, so that the schema lists every status a client can receive.

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error body of every OMEN and RiskCast API error (docs/errors.md).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code; branch on this."},
                "message": {"type": "string", "description": "Human-readable; may change."},
                "details": {"type": "object", "additionalProperties": True, "description": "Per-field problems."},
                "trace_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            },
            "required": ["code", "message", "details", "trace_id"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 1}}
}
# status -> (description, carries Retry-After). Every operation can answer these.
COMMON_ERRORS: dict[str, tuple[str, bool]] = {
    "400": ("`validation_error`: the body, a header or a query parameter is invalid.", False),
    "401": ("`auth_required` or `auth_invalid`: no API key, or an unknown, revoked or expired one.", False),
    "403": ("`forbidden_scope` or `forbidden`: the key lacks the endpoint's scope.", False),
    "406": ("`not_acceptable`: the API answers JSON only.", False),
    "429": ("`rate_limited`: the key is over its scope's rate limit.", True),
    "500": ("`internal_error`: a bug; the log line with the same trace_id has the detail.", False),
    "503": ("`ledger_unavailable`, `ledger_busy`, `overloaded` or `shutting_down`.", True),
}
WITH_BODY_ERRORS = {"413": ("`payload_too_large`: the body is larger than `OMEN_MAX_BODY_BYTES`.", False)}
WITH_PATH_ERRORS = {"404": ("`not_found`: no such object.", False)}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _error_response(description: str, retry_after: bool) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }
    if retry_after:
        response["headers"] = dict(_RETRY_AFTER)
    return response


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error body and the errors every operation can give.

    A view declares the errors peculiar to it with a description only (``409:
    OpenApiResponse(description=...)``); this hook gives every 4xx/5xx response without a
    body the error body, and adds the common ones the view does not mention.
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            errors = dict(COMMON_ERRORS)
            if "requestBody" in operation:
                errors |= WITH_BODY_ERRORS
            if any(param.get("in") == "path" for param in operation.get("parameters", [])):
                errors |= WITH_PATH_ERRORS
            responses = operation.setdefault("responses", {})
            for status, (description, retry_after) in errors.items():
                responses.setdefault(status, _error_response(description, retry_after))
            for status, response in responses.items():
                if str(status)[0] in "45" and "content" not in response:
                    response.update(_error_response(response.get("description", ""), str(status) in {"429", "503"}))
    return result
