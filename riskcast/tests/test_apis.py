"""The ingest API: outcomes, headers, validation, auth, rate limit and body limit."""

from __future__ import annotations

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from omenproject.models import AuditEvent
from omenproject.signals import MAX_BATCH, payload_hash
from riskcast.models import ProcessedSignal
from riskcast.tests.builders import make_event, make_events, mismatching

INGEST = "/api/v1/riskcast/ingest"
pytestmark = pytest.mark.django_db(databases=["default", "riskcast"])


@pytest.fixture
def ingest_client(client_with_scopes):
    return client_with_scopes("riskcast:ingest")


def _metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.audit("30")
def test_a_first_delivery_is_stored_and_acknowledged_with_201(ingest_client):
    event = make_event(1)
    response = ingest_client.post(INGEST, event, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "created" and body["ack_id"].startswith("ack_")
    row = ProcessedSignal.objects.get(signal_id=event["signal_id"])
    assert (row.ack_id, row.payload_hash, row.partition) == (body["ack_id"], payload_hash(event), "2026-12-03")
    assert row.source == "hot_path" and row.trace_id == event["trace_id"]
    assert body["first_seen_at"].endswith("Z")


@pytest.mark.audit("30")
def test_a_repeated_delivery_answers_409_duplicate_with_the_original_ack(ingest_client):
    event = make_event(2)
    first = ingest_client.post(INGEST, event, format="json").json()
    again = ingest_client.post(INGEST, event, format="json")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "duplicate"
    assert (error["details"]["ack_id"], error["details"]["first_seen_at"]) == (first["ack_id"], first["first_seen_at"])
    assert ProcessedSignal.objects.filter(signal_id=event["signal_id"]).count() == 1


@pytest.mark.audit("30")
def test_the_same_id_with_another_payload_is_422_and_leaves_the_stored_row_untouched(ingest_client):
    event = make_event(3)
    ingest_client.post(INGEST, event, format="json")
    before = ProcessedSignal.objects.values().get(signal_id=event["signal_id"])
    conflicts = _metric("omen_riskcast_conflicts_total", source="hot_path")

    response = ingest_client.post(INGEST, mismatching(event), format="json")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "conflict_payload_mismatch"
    assert ProcessedSignal.objects.values().get(signal_id=event["signal_id"]) == before
    assert _metric("omen_riskcast_conflicts_total", source="hot_path") == conflicts + 1
    assert AuditEvent.objects.filter(action="riskcast.conflict_payload_mismatch", target=event["signal_id"]).exists()


@pytest.mark.audit("30")
def test_a_batch_answers_one_outcome_per_item_in_order(ingest_client):
    stored = make_event(4)
    ingest_client.post(INGEST, stored, format="json")
    fresh = make_events(2)
    batch = [fresh[0], stored, mismatching(stored), {"signal_id": "nope"}, fresh[1], fresh[0]]

    response = ingest_client.post(INGEST, batch, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 409, 422, 400, 201, 409]
    assert results[5]["ack_id"] == results[0]["ack_id"]
    assert results[3]["error"]["details"]["signal_id"]
    assert response.json()["counts"] == {"created": 2, "duplicate": 2, "conflict_payload_mismatch": 1, "invalid": 1}
    assert ProcessedSignal.objects.filter(signal_id__in=[e["signal_id"] for e in fresh]).count() == 2


def test_a_batch_above_the_limit_is_refused_whole(ingest_client):
    response = ingest_client.post(INGEST, make_events(MAX_BATCH + 1), format="json")
    assert response.status_code == 400
    assert not ProcessedSignal.objects.exists()


def test_the_replay_source_header_is_stored(ingest_client):
    event = make_event(5)
    ingest_client.post(INGEST, event, format="json", HTTP_X_REPLAY_SOURCE="reconcile")
    assert ProcessedSignal.objects.get(signal_id=event["signal_id"]).source == "reconcile"
    assert ingest_client.post(INGEST, make_event(6), format="json", HTTP_X_REPLAY_SOURCE="x").status_code == 400


@pytest.mark.audit("34")
@pytest.mark.parametrize(
    "headers",
    [{"HTTP_IDEMPOTENCY_KEY": "sig_" + "0" * 32}, {"HTTP_X_PAYLOAD_HASH": "0" * 64}],
    ids=["idempotency-key", "payload-hash"],
)
def test_headers_that_disagree_with_the_body_are_400(ingest_client, headers):
    response = ingest_client.post(INGEST, make_event(9), format="json", **headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert not ProcessedSignal.objects.exists()


def test_headers_that_agree_with_the_body_are_accepted(ingest_client):
    event = make_event(10)
    headers = {"HTTP_IDEMPOTENCY_KEY": event["signal_id"], "HTTP_X_PAYLOAD_HASH": payload_hash(event)}
    assert ingest_client.post(INGEST, event, format="json", **headers).status_code == 201


@pytest.mark.audit("34")
def test_an_invalid_event_is_400_with_field_details(ingest_client):
    event = make_event(11)
    event["signal_id"] = "sig_" + "f" * 32  # not the hash of the content
    del event["trace_id"]
    response = ingest_client.post(INGEST, event, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "trace_id" in error["details"]
    assert not ProcessedSignal.objects.exists()


@pytest.mark.audit("34")
def test_ingest_without_a_key_is_401():
    response = APIClient().post(INGEST, make_event(12), format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth_required"


@pytest.mark.audit("34")
def test_ingest_with_a_key_lacking_the_scope_is_403(client_with_scopes):
    response = client_with_scopes("riskcast:read", "signals:write").post(INGEST, make_event(13), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_scope"


@pytest.mark.audit("34")
def test_ingest_beyond_the_rate_limit_is_429_with_retry_after(ingest_client, settings):
    with override_settings(OMEN_RATE_LIMITS={**settings.OMEN_RATE_LIMITS, "riskcast:ingest": "3/min"}):
        statuses = [ingest_client.post(INGEST, make_event(20 + i), format="json") for i in range(4)]
    assert [r.status_code for r in statuses] == [201, 201, 201, 429]
    assert statuses[3].json()["error"]["code"] == "rate_limited"
    assert int(statuses[3]["Retry-After"]) >= 1


@pytest.mark.audit("34")
def test_a_body_above_the_limit_is_413_before_parsing(ingest_client, settings):
    settings.OMEN_MAX_BODY_BYTES = 4096
    response = ingest_client.post(INGEST, make_events(20), format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not ProcessedSignal.objects.exists()
