"""Audit 08: every kind of invalid payload is a 400 ``validation_error`` naming each bad field."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from omenproject.errors import exception_handler
from omenproject.signals import MAX_BATCH, SignalEventSerializer, SignalInputSerializer
from omenproject.signals.tests.builders import DROP, make_event, make_evidence, make_signal

pytestmark = pytest.mark.audit("08")

REQUIRED = [
    "source",
    "source_event_id",
    "title",
    "category",
    "signal_type",
    "probability",
    "confidence",
    "observed_at",
    "ruleset_version",
]


def errors_of(data, *, many: bool = False) -> dict:
    serializer = SignalInputSerializer(data=data, many=many)
    assert not serializer.is_valid(), "the payload should have been rejected"
    return serializer.errors


def test_a_valid_signal_passes():
    serializer = SignalInputSerializer(data=make_signal())
    assert serializer.is_valid(), serializer.errors


@pytest.mark.parametrize("field", REQUIRED)
def test_a_missing_required_field_is_named(field):
    assert "required" in str(errors_of(make_signal(**{field: DROP}))[field])


@pytest.mark.parametrize("field", ["description", "regions", "chokepoints", "keywords", "evidence", "schema_version"])
def test_optional_fields_may_be_left_out(field):
    assert SignalInputSerializer(data=make_signal(**{field: DROP})).is_valid()


def test_an_unknown_field_is_rejected_not_ignored():
    assert errors_of(make_signal(severity="high")) == {"severity": ["Unknown field."]}


def test_an_unknown_field_inside_an_evidence_item_is_rejected():
    errors = errors_of(make_signal(evidence=[make_evidence(), make_evidence(note="x")]))
    assert errors == {"evidence": {"1": {"note": ["Unknown field."]}}}


def test_an_unknown_field_on_the_envelope_is_rejected():
    event = make_event() | {"partition": "2026-12-04"}
    serializer = SignalEventSerializer(data=event)
    assert not serializer.is_valid()
    assert serializer.errors == {"partition": ["Unknown field."]}


def test_an_unknown_field_inside_the_envelope_signal_is_rejected():
    event = make_event()
    event["signal"]["severity"] = "high"
    serializer = SignalEventSerializer(data=event)
    assert not serializer.is_valid()
    assert serializer.errors == {"signal": {"severity": ["Unknown field."]}}


WRONG_TYPES = [
    ("title", 5),
    ("title", ["a"]),
    ("source_event_id", 123),
    ("description", None),
    ("probability", "0.5"),
    ("probability", True),
    ("confidence", None),
    ("category", "weather"),
    ("category", 3),
    ("regions", "EU"),
    ("regions", [1, 2]),
    ("keywords", {"a": 1}),
    ("evidence", {"source": "x"}),
    ("evidence", ["https://example.com"]),
    ("observed_at", 1764800000),
    ("ruleset_version", 1.2),
]


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
def test_a_wrong_type_is_named_and_never_coerced(field, value):
    assert field in errors_of(make_signal(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [("probability", 1.0001), ("probability", -0.01), ("confidence", 2), ("confidence", -1)],
)
def test_an_out_of_range_number_is_named(field, value):
    assert field in errors_of(make_signal(**{field: value}))


@pytest.mark.parametrize("field", ["probability", "confidence"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), "NaN", "Infinity"])
def test_nan_and_infinity_are_rejected(field, value):
    assert field in errors_of(make_signal(**{field: value}))


OVER_LONG = [
    ("source", "a" * 65),
    ("source_event_id", "e" * 129),
    ("title", "t" * 301),
    ("description", "d" * 5001),
    ("signal_type", "s" * 65),
    ("ruleset_version", "1" * 65),
    ("regions", ["r" * 65]),
    ("regions", [f"r{i}" for i in range(51)]),
    ("chokepoints", [f"c{i}" for i in range(51)]),
    ("keywords", [f"k{i}" for i in range(51)]),
    ("evidence", [make_evidence() for _ in range(21)]),
    ("evidence", [make_evidence(source="s" * 129)]),
    ("evidence", [make_evidence(url="https://example.com/" + "p" * 2030)]),
    ("schema_version", "1" * 33),
]


@pytest.mark.parametrize(("field", "value"), OVER_LONG, ids=[f"{f}-{i}" for i, (f, _) in enumerate(OVER_LONG)])
def test_over_long_strings_and_lists_are_named(field, value):
    assert field in errors_of(make_signal(**{field: value}))


def test_limits_at_the_edge_are_accepted():
    payload = make_signal(
        title="t" * 300,
        description="d" * 5000,
        regions=[f"r{i}" for i in range(50)],
        evidence=[make_evidence() for _ in range(20)],
    )
    assert SignalInputSerializer(data=payload).is_valid()


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://example.com/file", "javascript:alert(1)", "https://", "https://exa mple.com/", ""]
)
def test_an_invalid_evidence_url_is_named(url):
    assert "url" in errors_of(make_signal(evidence=[make_evidence(url=url)]))["evidence"]["0"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "a\x00b"), ("title", "line\nbreak"), ("source_event_id", "\ud800"), ("description", "bell\x07")],
)
def test_control_characters_and_lone_surrogates_are_rejected(field, value):
    assert field in errors_of(make_signal(**{field: value}))


def test_a_description_may_span_lines():
    assert SignalInputSerializer(data=make_signal(description="one\ntwo\r\n\tthree")).is_valid()


@pytest.mark.parametrize("value", ["has space", "-leading", "ünïcode", ""])
def test_identifiers_must_be_slugs(value):
    assert "source" in errors_of(make_signal(source=value))


@pytest.mark.parametrize("value", ["2026-12-03T23:30:00", "2026-12-03 23:30:00", "2026-12-03", "yesterday"])
def test_naive_or_malformed_datetimes_are_named(value):
    errors = errors_of(make_signal(observed_at=value, evidence=[make_evidence(observed_at=value)]))
    assert "observed_at" in errors
    assert "observed_at" in errors["evidence"]["0"]


def test_every_bad_field_is_named_at_once():
    payload = make_signal(title="", probability=7, category="NOPE", extra=1, regions="EU")
    assert set(errors_of(payload)) == {"title", "probability", "category", "extra", "regions"}


@pytest.mark.parametrize("data", ["a string", 42, None, [make_signal()]])
def test_a_body_that_is_not_one_object_is_rejected(data):
    assert errors_of(data)


def test_a_batch_names_bad_items_by_index():
    errors = errors_of([make_signal(), make_signal(title=""), make_signal(), make_signal(probability=2)], many=True)
    assert set(errors) == {"1", "3"}
    assert "title" in errors["1"]
    assert "probability" in errors["3"]


def test_a_batch_over_the_limit_is_rejected():
    assert errors_of([make_signal()] * (MAX_BATCH + 1), many=True)


def test_a_batch_at_the_limit_is_accepted():
    assert SignalInputSerializer(data=[make_signal()] * MAX_BATCH, many=True).is_valid()


def test_an_empty_batch_is_rejected():
    assert errors_of([], many=True)


def test_a_validation_error_renders_as_the_one_error_body():
    serializer = SignalInputSerializer(data=make_signal(title=5, probability=2, extra=1))
    with pytest.raises(ValidationError) as caught:
        serializer.is_valid(raise_exception=True)
    response = exception_handler(caught.value, {})
    assert response.status_code == 400
    error = response.data["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"title", "probability", "extra"}


# A tiny view mounted with override_settings: the real parser, middleware and handler.
class _EchoSignals(APIView):
    required_scope = "public"

    def post(self, request):
        many = isinstance(request.data, list)
        serializer = SignalInputSerializer(data=request.data, many=many)
        serializer.is_valid(raise_exception=True)
        return Response({"ok": True})


urlpatterns = [path("t/signals", _EchoSignals.as_view())]


@pytest.fixture
def echo_client(client, db):
    with override_settings(ROOT_URLCONF=__name__):
        yield client


def post(client, body: str):
    return client.post("/t/signals", data=body, content_type="application/json")


def test_an_invalid_payload_over_http_is_400_with_field_details(echo_client):
    response = post(echo_client, json.dumps(make_signal(observed_at="2026-12-03T23:30:00", extra=1)))
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert set(body["details"]) == {"observed_at", "extra"}


def test_nan_in_the_json_text_is_400_not_500(echo_client):
    text = json.dumps(make_signal()).replace("0.7", "NaN")
    response = post(echo_client, text)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_valid_payload_over_http_passes(echo_client):
    assert post(echo_client, json.dumps(make_signal())).status_code == 200
