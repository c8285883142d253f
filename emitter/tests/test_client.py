"""The client against a real misbehaving RiskCast on 127.0.0.1 (audit 24, 25, 26)."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from emitter.client import DeliveryRequest, EmitterConfig, get_client, reset_client
from emitter.outcome import DeliveryStatus
from emitter.tests.conftest import deliver, make_event, payload_hash
from emitter.tests.fault_server import Fault, free_port_url


def test_every_post_carries_the_key_the_idempotency_key_the_hash_and_the_trace_id(fault_server, make_client):
    client = make_client(fault_server.url)
    event = make_event()
    result = client.deliver(event, payload_hash="h-123", trace_id="ab" * 16, replay_source="reconcile")
    assert result.status is DeliveryStatus.DELIVERED
    assert result.ack_id == fault_server.stored[event["signal_id"]]["ack_id"]
    (received,) = fault_server.received
    assert received.path == "/api/v1/riskcast/ingest"
    assert received.headers["authorization"] == "Bearer test-key"
    assert received.headers["idempotency-key"] == event["signal_id"]
    assert received.headers["x-payload-hash"] == "h-123"
    assert received.headers["x-trace-id"] == "ab" * 16
    assert received.headers["x-replay-source"] == "reconcile"
    assert json.loads(received.body) == event


def test_the_trace_id_defaults_to_the_events_own(fault_server, make_client):
    event = make_event()
    deliver(make_client(fault_server.url), event)
    assert fault_server.received[0].headers["x-trace-id"] == event["trace_id"]


def test_a_malformed_call_is_a_programming_error(make_client):
    client = make_client("http://127.0.0.1:9")
    with pytest.raises(ValueError):
        client.deliver({"no": "id"}, payload_hash="h")
    with pytest.raises(ValueError):
        client.deliver(make_event(), payload_hash="h", replay_source="elsewhere")


def test_the_riskcast_key_falls_back_to_the_bootstrap_key(settings):
    settings.EMITTER_RISKCAST_API_KEY = ""
    settings.OMEN_BOOTSTRAP_API_KEY = "bootstrap-key"
    assert EmitterConfig.from_settings().api_key == "bootstrap-key"
    settings.EMITTER_RISKCAST_API_KEY = "emitter-key"
    assert EmitterConfig.from_settings().api_key == "emitter-key"


def test_the_process_client_is_one_instance_until_reset(settings):
    reset_client()
    try:
        first = get_client()
        assert get_client() is first
        assert first.url == settings.RISKCAST_URL.rstrip("/") + "/api/v1/riskcast/ingest"
        reset_client()
        assert get_client() is not first
    finally:
        reset_client()


def test_deliver_many_answers_each_request_in_order(fault_server, make_client):
    events = [make_event() for _ in range(5)]
    results = make_client(fault_server.url).deliver_many(DeliveryRequest(e, payload_hash(e)) for e in events)
    assert [r.signal_id for r in results] == [e["signal_id"] for e in events]
    assert all(r.status is DeliveryStatus.DELIVERED for r in results)
    assert {r.headers["x-replay-source"] for r in fault_server.received} == {"reconcile"}


# --- 24: any hot-path failure is LEDGER_ONLY, never an exception ------------------------------


@pytest.mark.audit("24")
def test_a_refused_connection_is_ledger_only_quickly():
    from emitter.client import RiskCastClient
    from emitter.tests.conftest import fast_config

    client = RiskCastClient(fast_config(free_port_url()))
    started = time.monotonic()
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.LEDGER_ONLY and result.error == "connect_error"
    assert result.attempts == 3
    assert time.monotonic() - started < 0.5
    client.close()


@pytest.mark.audit("24")
def test_a_hung_riskcast_is_ledger_only_within_the_budget(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, read_timeout_s=0.2, retry_budget_s=0.5)
    started = time.monotonic()
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.LEDGER_ONLY and result.error == "read_timeout"
    assert time.monotonic() - started < 0.5 + 0.3


@pytest.mark.audit("24")
def test_a_riskcast_answering_only_errors_is_ledger_only(fault_server, make_client):
    fault_server.error_rate = 1.0
    result = deliver(make_client(fault_server.url), make_event())
    assert result.status is DeliveryStatus.LEDGER_ONLY and result.http_status == 503
    assert fault_server.stored == {}


@pytest.mark.audit("24")
def test_the_async_path_is_ledger_only_on_an_outage_too(make_client):
    client = make_client(free_port_url())
    event = make_event()

    async def main():
        try:
            return await client.adeliver(event, payload_hash=payload_hash(event))
        finally:
            await client.aclose()

    assert asyncio.run(main()).status is DeliveryStatus.LEDGER_ONLY


# --- 25: 409 duplicate is delivered; 422 is rejected -------------------------------------------


@pytest.mark.audit("25")
def test_a_commit_then_a_dropped_connection_ends_as_a_duplicate_stored_once(fault_server, make_client):
    fault_server.script(Fault.drop_after_commit())
    event = make_event()
    result = deliver(make_client(fault_server.url), event)
    assert result.status is DeliveryStatus.DUPLICATE and result.delivered
    assert result.attempts == 2 and result.error is None
    assert result.ack_id == fault_server.stored[event["signal_id"]]["ack_id"]
    assert fault_server.commits[event["signal_id"]] == 1


@pytest.mark.audit("25")
def test_redelivering_a_delivered_signal_is_a_duplicate_not_a_second_copy(fault_server, make_client):
    client = make_client(fault_server.url)
    event = make_event()
    first, again = deliver(client, event), deliver(client, event, replay_source="reconcile")
    assert (first.status, again.status) == (DeliveryStatus.DELIVERED, DeliveryStatus.DUPLICATE)
    assert again.ack_id == first.ack_id and again.attempts == 1
    assert fault_server.commits[event["signal_id"]] == 1


@pytest.mark.audit("25")
def test_a_payload_mismatch_is_rejected_not_delivered_not_retried_and_alerted(fault_server, make_client, caplog):
    client = make_client(fault_server.url)
    event = make_event()
    deliver(client, event)
    changed = event | {"payload": {"kind": "changed"}}
    with caplog.at_level(logging.ERROR, logger="omen.emitter"):
        result = deliver(client, changed)
    assert result.status is DeliveryStatus.REJECTED and not result.delivered
    assert result.error == "conflict_payload_mismatch" and result.http_status == 422
    assert result.attempts == 1 and fault_server.requests_received == 2
    assert fault_server.stored[event["signal_id"]]["payload_hash"] == payload_hash(event)
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and getattr(r, "alert", False)]
    assert alerts and alerts[0].signal_id == event["signal_id"]


@pytest.mark.audit("25")
def test_an_injected_422_is_rejected_and_never_retried(fault_server, make_client):
    fault_server.script(Fault.reject(422))
    result = deliver(make_client(fault_server.url), make_event())
    assert result.status is DeliveryStatus.REJECTED and fault_server.requests_received == 1
    assert fault_server.stored == {}


# --- 26: a server that never answers costs at most the timeout -------------------------------


@pytest.mark.audit("26")
def test_a_hung_server_costs_one_attempt_at_most_the_read_timeout(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, read_timeout_s=0.3, max_attempts=1)
    for _ in range(3):
        started = time.monotonic()
        result = deliver(client, make_event())
        elapsed = time.monotonic() - started
        assert result.status is DeliveryStatus.LEDGER_ONLY and result.error == "read_timeout"
        assert 0.25 <= elapsed < 0.3 + 0.2


@pytest.mark.audit("26")
def test_retries_against_a_hung_server_stop_at_the_budget_not_attempts_times_timeout(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, read_timeout_s=0.3, max_attempts=10, retry_budget_s=0.5)
    started = time.monotonic()
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.LEDGER_ONLY
    assert time.monotonic() - started < 0.5 + 0.2  # not 10 x 0.3 s


@pytest.mark.audit("26")
def test_the_async_path_is_bounded_by_the_timeout_too(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, read_timeout_s=0.3, max_attempts=1)
    event = make_event()

    async def main():
        try:
            started = time.monotonic()
            result = await client.adeliver(event, payload_hash=payload_hash(event))
            return result, time.monotonic() - started
        finally:
            await client.aclose()

    result, elapsed = asyncio.run(main())
    assert result.status is DeliveryStatus.LEDGER_ONLY and elapsed < 0.3 + 0.2
