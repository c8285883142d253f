"""A dead or slow RiskCast never blocks callers; the breaker guards it end to end (audit 27, 28)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from emitter.breaker import BreakerState, CircuitBreaker
from emitter.outcome import DeliveryStatus
from emitter.tests.conftest import FakeClock, deliver, make_event, payload_hash
from emitter.tests.fault_server import Fault


def run_threads(count: int, target) -> list:
    """Start ``count`` threads released together by a barrier; their return values, in any order."""
    barrier, results = threading.Barrier(count), []

    def call():
        barrier.wait()
        results.append(target())

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def timed_delivery(client):
    def call():
        started = time.monotonic()
        result = deliver(client, make_event())
        return result, time.monotonic() - started

    return call


@pytest.mark.audit("27")
def test_fifty_callers_against_a_hung_riskcast_all_return_ledger_only_within_the_timeout(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, bulkhead_size=8, breaker_failures=3, read_timeout_s=0.3, retry_budget_s=0.6)
    results = run_threads(50, timed_delivery(client))
    assert all(r.status is DeliveryStatus.LEDGER_ONLY for r, _ in results)
    assert max(t for _, t in results) < 0.6 + 0.3, "a caller was blocked longer than the budget"
    immediate = [r for r, t in results if r.error in ("bulkhead_full", "breaker_open")]
    assert len(immediate) >= 42
    assert client.breaker.state is BreakerState.OPEN


@pytest.mark.audit("27")
def test_once_the_breaker_is_open_callers_skip_riskcast_at_once(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, breaker_failures=2, read_timeout_s=0.2, max_attempts=1)
    deliver(client, make_event())
    deliver(client, make_event())
    reached = fault_server.requests_received
    results = run_threads(50, timed_delivery(client))
    assert {r.error for r, _ in results} == {"breaker_open"}
    assert max(t for _, t in results) < 0.1
    assert fault_server.requests_received == reached


@pytest.mark.audit("27")
def test_fifty_async_callers_against_a_hung_riskcast_are_bounded_too(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, bulkhead_size=8, breaker_failures=3, read_timeout_s=0.3, max_attempts=1)

    async def call():
        event = make_event()
        started = time.monotonic()
        result = await client.adeliver(event, payload_hash=payload_hash(event))
        return result, time.monotonic() - started

    async def main():
        try:
            return await asyncio.gather(*(call() for _ in range(50)))
        finally:
            await client.aclose()

    results = asyncio.run(main())
    assert all(r.status is DeliveryStatus.LEDGER_ONLY for r, _ in results)
    assert max(t for _, t in results) < 0.3 + 0.3
    assert fault_server.max_in_flight <= 8


# --- 28: the breaker, end to end ----------------------------------------------------------------


def half_open_client(fault_server, make_client):
    """A client whose breaker (fake clock) is open after one 503 and whose cool-down has passed."""
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10, probe_timeout_s=5, clock=clock)
    client = make_client(fault_server.url, breaker=breaker, max_attempts=1, bulkhead_size=64)
    fault_server.script(Fault.error(503))
    assert deliver(client, make_event()).error == "http_503"
    assert breaker.state is BreakerState.OPEN
    clock.advance(10)
    fault_server.delay_s = 0.3  # the probe is still out while everyone else arrives
    return client, breaker


@pytest.mark.audit("28")
def test_fifty_threads_at_half_open_send_exactly_one_probe(fault_server, make_client):
    client, breaker = half_open_client(fault_server, make_client)
    results = run_threads(50, lambda: deliver(client, make_event()))
    assert fault_server.requests_received == 2  # the 503 that opened it, then one probe
    assert sorted(r.status for r in results).count(DeliveryStatus.DELIVERED) == 1
    assert sum(r.error == "breaker_open" for r in results) == 49
    assert breaker.state is BreakerState.CLOSED


@pytest.mark.audit("28")
def test_fifty_asyncio_tasks_at_half_open_send_exactly_one_probe(fault_server, make_client):
    client, breaker = half_open_client(fault_server, make_client)

    async def main():
        events = [make_event() for _ in range(50)]
        try:
            return await asyncio.gather(*(client.adeliver(e, payload_hash=payload_hash(e)) for e in events))
        finally:
            await client.aclose()

    results = asyncio.run(main())
    assert fault_server.requests_received == 2
    assert sum(r.status is DeliveryStatus.DELIVERED for r in results) == 1
    assert breaker.state is BreakerState.CLOSED


@pytest.mark.audit("28")
def test_a_hung_riskcast_opens_the_breaker(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, breaker_failures=3, read_timeout_s=0.1, max_attempts=1)
    errors = [deliver(client, make_event()).error for _ in range(5)]
    assert errors == ["read_timeout"] * 3 + ["breaker_open"] * 2
    assert fault_server.requests_received == 3


@pytest.mark.audit("28")
def test_rejections_never_open_the_breaker(fault_server, make_client):
    client = make_client(fault_server.url, breaker_failures=3)
    fault_server.script(*[Fault.reject(400, code="validation_error")] * 10, *[Fault.reject(401)] * 5)
    results = [deliver(client, make_event()) for _ in range(15)]
    assert {r.status for r in results} == {DeliveryStatus.REJECTED}
    assert client.breaker.state is BreakerState.CLOSED
    assert deliver(client, make_event()).status is DeliveryStatus.DELIVERED


@pytest.mark.audit("28")
def test_a_failed_probe_reopens_and_a_later_one_recovers(fault_server, make_client):
    client, breaker = half_open_client(fault_server, make_client)
    fault_server.delay_s = 0
    fault_server.script(Fault.error(503))
    assert deliver(client, make_event()).error == "http_503"
    assert breaker.state is BreakerState.OPEN
    breaker._clock.advance(10)
    assert deliver(client, make_event()).status is DeliveryStatus.DELIVERED
    assert breaker.state is BreakerState.CLOSED
