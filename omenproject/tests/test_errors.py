"""Every API error is one body with a stable code and the request's trace id."""

import pytest
from rest_framework import exceptions as drf

from omenproject import errors
from omenproject.tests.test_auth import ECHO

pytestmark = [pytest.mark.urls("omenproject.tests.urls"), pytest.mark.django_db]


def assert_error_body(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "trace_id"}
    assert body["error"]["code"] == code
    assert body["error"]["trace_id"] == response["X-Trace-Id"]
    return body["error"]


@pytest.mark.audit("51")
def test_a_validation_error_names_each_bad_field(client_with_scopes):
    response = client_with_scopes("signals:write").post(ECHO, {"name": "x" * 11, "count": -1}, format="json")
    error = assert_error_body(response, 400, "validation_error")
    assert set(error["details"]) == {"name", "count"}


@pytest.mark.audit("51")
def test_a_body_that_is_not_json_is_a_validation_error(client_with_scopes):
    client = client_with_scopes("signals:write")
    response = client.post(ECHO, "{not json", content_type="application/json")
    assert_error_body(response, 400, "validation_error")
    response = client.post(ECHO, "name=x", content_type="application/x-www-form-urlencoded")
    assert "content_type" in assert_error_body(response, 400, "validation_error")["details"]


@pytest.mark.audit("51")
def test_an_unhandled_exception_is_a_500_in_the_same_body_without_the_secret(client):
    response = client.get("/api/v1/test/boom")
    error = assert_error_body(response, 500, "internal_error")
    assert "omen_" not in response.content.decode()
    assert error["message"] == "An internal error occurred."


@pytest.mark.audit("51")
def test_unknown_routes_and_wrong_methods_use_the_body(client):
    error = client.get("/api/v1/nowhere")
    assert error.status_code == 404
    assert error.json()["error"]["code"] == "not_found"
    assert_error_body(client.delete("/api/v1/test/boom"), 405, "method_not_allowed")


def test_a_view_without_a_declared_scope_fails_closed(client):
    response = client.get("/api/v1/test/noscope")
    assert response.status_code == 500


@pytest.mark.audit("51")
@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf.NotAuthenticated(), 401, "auth_required"),
        (drf.AuthenticationFailed(), 401, "auth_invalid"),
        (drf.Throttled(wait=7), 429, "rate_limited"),
        (errors.LedgerUnavailable(), 503, "ledger_unavailable"),
        (errors.LedgerBusy(retry_after=2), 503, "ledger_busy"),
        (errors.Conflict(details={"signal_id": "x"}), 409, "conflict_payload_mismatch"),
        (KeyError("x"), 500, "internal_error"),
    ],
)
def test_the_handler_maps_each_exception_to_its_documented_code(exc, status, code):
    response = errors.exception_handler(exc, {})
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    if status in (429, 503) and getattr(exc, "retry_after", None) or isinstance(exc, drf.Throttled):
        assert int(response["Retry-After"]) >= 1


@pytest.mark.audit("51")
def test_every_code_the_handler_can_emit_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text()
    codes = {code for _, code, _ in errors._DRF_CODES} | {"internal_error", "not_found", "payload_too_large"}
    codes |= {cls.default_code for cls in errors.OmenError.__subclasses__()}
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"undocumented error codes: {missing}"


@pytest.mark.audit("51")
def test_errors_are_counted_by_code(client):
    from prometheus_client import REGISTRY

    before = REGISTRY.get_sample_value("omen_errors_total", {"code": "internal_error"}) or 0
    client.get("/api/v1/test/boom")
    assert REGISTRY.get_sample_value("omen_errors_total", {"code": "internal_error"}) == before + 1
