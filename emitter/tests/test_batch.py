"""Batch delivery: many events in one POST, one result per event (audit 23, 24, 25, 29)."""

from __future__ import annotations

import json

import pytest

from emitter.bulkhead import Bulkhead
from emitter.client import DeliveryRequest
from emitter.outcome import DeliveryStatus, Verdict, classify_batch_item, classify_batch_response
from emitter.tests.conftest import make_event, payload_hash
from emitter.tests.fault_server import Fault, free_port_url
from omenproject.signals import MAX_BATCH


def requests_for(events: list[dict]) -> list[DeliveryRequest]:
    return [DeliveryRequest(e, payload_hash(e)) for e in events]


def test_a_batch_is_one_post_and_each_event_gets_its_own_ack(fault_server, make_client):
    events = [make_event() for _ in range(5)]
    results = make_client(fault_server.url).deliver_batch(requests_for(events), replay_source="reconcile")
    assert [r.signal_id for r in results] == [e["signal_id"] for e in events]
    assert [r.status for r in results] == [DeliveryStatus.DELIVERED] * 5
    assert [r.ack_id for r in results] == [fault_server.stored[e["signal_id"]]["ack_id"] for e in events]
    (received,) = fault_server.received
    assert json.loads(received.body) == events
    assert received.headers["x-replay-source"] == "reconcile"
    assert received.headers["x-trace-id"] == events[0]["trace_id"]
    assert received.headers["authorization"] == "Bearer test-key"
    # One event's headers would be wrong for the others: RiskCast refuses them on a batch.
    assert "idempotency-key" not in received.headers and "x-payload-hash" not in received.headers


@pytest.mark.audit("25")
def test_a_batch_retried_after_a_dropped_answer_counts_its_stored_events_as_duplicates(fault_server, make_client):
    events = [make_event() for _ in range(4)]
    fault_server.script(Fault.drop_after_commit())
    results = make_client(fault_server.url).deliver_batch(requests_for(events))
    assert [r.status for r in results] == [DeliveryStatus.DUPLICATE] * 4
    assert all(r.delivered and r.attempts == 2 for r in results)
    assert sorted(fault_server.commits.values()) == [1] * 4


@pytest.mark.audit("25")
def test_each_event_of_a_batch_is_judged_on_its_own(fault_server, make_client):
    stored, mismatched, fresh = make_event(), make_event(), make_event()
    client = make_client(fault_server.url)
    client.deliver_batch(requests_for([stored]))
    fault_server.stored[mismatched["signal_id"]] = {"ack_id": "ack-x", "payload_hash": "0" * 64, "body": b"{}"}
    results = client.deliver_batch(requests_for([stored, mismatched, fresh]))
    assert [r.status for r in results] == [
        DeliveryStatus.DUPLICATE,
        DeliveryStatus.REJECTED,
        DeliveryStatus.DELIVERED,
    ]
    assert results[1].error == "conflict_payload_mismatch" and not results[1].delivered


@pytest.mark.audit("23")
@pytest.mark.audit("24")
def test_a_batch_riskcast_keeps_failing_is_ledger_only_for_every_event(fault_server, make_client):
    fault_server.error_rate = 1.0
    results = make_client(fault_server.url).deliver_batch(requests_for([make_event() for _ in range(3)]))
    assert {r.status for r in results} == {DeliveryStatus.LEDGER_ONLY}
    assert {r.error for r in results} == {"http_503"}
    assert fault_server.requests_received == 3  # max_attempts for the whole batch, not per event
    assert fault_server.stored == {}


@pytest.mark.audit("24")
def test_a_batch_to_a_dead_riskcast_is_ledger_only(make_client):
    results = make_client(free_port_url()).deliver_batch(requests_for([make_event(), make_event()]))
    assert [(r.status, r.error) for r in results] == [(DeliveryStatus.LEDGER_ONLY, "connect_error")] * 2


@pytest.mark.audit("29")
def test_a_batch_takes_one_bulkhead_slot_and_none_is_free_means_ledger_only_unsent(fault_server, make_client):
    bulkhead = Bulkhead(1)
    client = make_client(fault_server.url, bulkhead=bulkhead)
    assert bulkhead.try_acquire()  # someone else holds the only slot
    results = client.deliver_batch(requests_for([make_event(), make_event()]))
    assert [(r.status, r.error) for r in results] == [(DeliveryStatus.LEDGER_ONLY, "bulkhead_full")] * 2
    assert fault_server.requests_received == 0
    bulkhead.release()
    assert {r.status for r in client.deliver_batch(requests_for([make_event()]))} == {DeliveryStatus.DELIVERED}
    assert bulkhead.in_flight == 0


def test_deliver_many_sends_at_most_max_batch_events_per_post(fault_server, make_client):
    events = [make_event() for _ in range(MAX_BATCH * 2 + 10)]
    results = make_client(fault_server.url).deliver_many(requests_for(events))
    assert [len(json.loads(r.body)) for r in fault_server.received] == [MAX_BATCH, MAX_BATCH, 10]
    assert [r.signal_id for r in results] == [e["signal_id"] for e in events]
    assert {r.status for r in results} == {DeliveryStatus.DELIVERED}


def test_deliver_many_stops_sending_at_the_first_ledger_only_batch(fault_server, make_client):
    events = [make_event() for _ in range(MAX_BATCH * 2 + 10)]
    fault_server.script(Fault.error(200))  # a 2xx that is not RiskCast's batch answer
    results = make_client(fault_server.url).deliver_many(requests_for(events))
    assert fault_server.requests_received == 1  # the other batches are not sent
    assert {(r.status, r.error) for r in results} == {(DeliveryStatus.LEDGER_ONLY, "malformed_batch_answer")}
    assert {r.attempts for r in results[MAX_BATCH:]} == {0}
    assert [r.signal_id for r in results] == [e["signal_id"] for e in events]
    assert fault_server.stored == {}


def test_a_batch_larger_than_the_limit_is_a_programming_error(make_client):
    with pytest.raises(ValueError):
        make_client("http://127.0.0.1:9").deliver_batch(requests_for([make_event() for _ in range(MAX_BATCH + 1)]))


# --- the classification of a batch answer, without I/O ----------------------------------------


def test_a_batch_answer_is_answered_only_with_one_result_per_event():
    ok = {"results": [{"status": 201}, {"status": 409}]}
    assert classify_batch_response(200, ok, count=2).verdict is Verdict.DELIVERED
    assert classify_batch_response(200, ok, count=3).verdict is Verdict.GIVE_UP
    assert classify_batch_response(200, {"results": "no"}, count=2).verdict is Verdict.GIVE_UP
    assert classify_batch_response(200, None, count=2).verdict is Verdict.GIVE_UP
    assert classify_batch_response(503, None, count=2).verdict is Verdict.RETRY
    assert classify_batch_response(429, None, count=2).verdict is Verdict.RETRY
    rejected = classify_batch_response(400, {"error": {"code": "validation_error"}}, count=2)
    assert (rejected.verdict, rejected.reason) == (Verdict.REJECTED, "validation_error")


@pytest.mark.parametrize(
    ("item", "verdict", "reason"),
    [
        ({"status": 201, "signal_id": "s", "ack_id": "a", "payload_hash": "h"}, Verdict.DELIVERED, None),
        (
            {"status": 201, "signal_id": "s", "ack_id": "a", "payload_hash": "x"},
            Verdict.REJECTED,
            "payload_hash_disagrees",
        ),
        ({"status": 409, "signal_id": "s", "ack_id": "a", "payload_hash": "h"}, Verdict.DUPLICATE, None),
        ({"status": 409, "signal_id": "s", "payload_hash": "x"}, Verdict.REJECTED, "duplicate_payload_mismatch"),
        ({"status": 201, "signal_id": "other", "ack_id": "a"}, Verdict.GIVE_UP, "malformed_batch_answer"),
        (
            {"status": 422, "error": {"code": "conflict_payload_mismatch"}},
            Verdict.REJECTED,
            "conflict_payload_mismatch",
        ),
        ({"status": 400, "error": {"code": "validation_error"}}, Verdict.REJECTED, "validation_error"),
        ({"status": "201"}, Verdict.GIVE_UP, "malformed_batch_answer"),
        ({"status": 503}, Verdict.GIVE_UP, "http_503"),
    ],
)
def test_each_batch_item_is_classified_by_its_own_status_id_and_hash(item, verdict, reason):
    classified = classify_batch_item(item, signal_id="s", payload_hash="h")
    assert (classified.verdict, classified.reason) == (verdict, reason)
