"""The bulkhead: at most N calls in flight, overflow turned away at once (audit 29)."""

from __future__ import annotations

import threading
import time

import pytest

from emitter.bulkhead import Bulkhead
from emitter.outcome import DeliveryStatus
from emitter.tests.conftest import deliver, make_event

pytestmark = pytest.mark.audit("29")


def test_it_admits_up_to_its_size_and_refuses_the_next_without_waiting():
    bulkhead = Bulkhead(2)
    assert bulkhead.try_acquire() and bulkhead.try_acquire()
    started = time.monotonic()
    assert not bulkhead.try_acquire()
    assert time.monotonic() - started < 0.01
    bulkhead.release()
    assert bulkhead.try_acquire()


def test_a_release_without_an_acquire_is_a_bug():
    with pytest.raises(RuntimeError):
        Bulkhead(1).release()


def test_it_reports_every_change_of_the_in_flight_count():
    seen = []
    bulkhead = Bulkhead(3, on_change=seen.append)
    bulkhead.try_acquire()
    bulkhead.try_acquire()
    bulkhead.release()
    assert seen == [1, 2, 1]


def test_concurrent_threads_never_exceed_the_size():
    bulkhead = Bulkhead(5)
    peak, lock, barrier = [0], threading.Lock(), threading.Barrier(40)

    def worker():
        barrier.wait()
        for _ in range(200):
            if bulkhead.try_acquire():
                with lock:
                    peak[0] = max(peak[0], bulkhead.in_flight)
                bulkhead.release()

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] <= 5 and bulkhead.in_flight == 0


def test_against_a_hung_riskcast_in_flight_never_exceeds_the_bulkhead(fault_server, make_client):
    fault_server.hang = True
    client = make_client(fault_server.url, bulkhead_size=4, read_timeout_s=0.4, max_attempts=1, breaker_failures=100)
    barrier = threading.Barrier(20)
    results = []

    def call():
        barrier.wait()
        started = time.monotonic()
        result = deliver(client, make_event())
        results.append((result, time.monotonic() - started))

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fault_server.max_in_flight == 4
    assert fault_server.requests_received == 4
    overflow = [(r, t) for r, t in results if r.error == "bulkhead_full"]
    assert len(overflow) == 16
    assert all(r.status is DeliveryStatus.LEDGER_ONLY and r.attempts == 0 for r, _ in overflow)
    assert max(t for _, t in overflow) < 0.1, "an overflow caller waited for a slot"
    assert client.bulkhead.in_flight == 0
