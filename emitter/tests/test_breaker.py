"""The circuit breaker's state machine, driven by a fake clock (audit 28)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from emitter.breaker import BreakerState, CircuitBreaker
from emitter.tests.conftest import FakeClock

pytestmark = pytest.mark.audit("28")


def make_breaker(clock=None, **overrides) -> tuple[CircuitBreaker, list]:
    transitions = []
    values = {"failure_threshold": 3, "cooldown_s": 10.0, "probe_timeout_s": 2.0} | overrides
    breaker = CircuitBreaker(
        clock=clock or FakeClock(), on_transition=lambda a, b: transitions.append((a, b)), **values
    )
    return breaker, transitions


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.record_failure(breaker.acquire())


def open_breaker(clock: FakeClock, **overrides) -> tuple[CircuitBreaker, list]:
    breaker, transitions = make_breaker(clock, **overrides)
    fail(breaker, breaker.failure_threshold)
    assert breaker.state is BreakerState.OPEN
    return breaker, transitions


def test_it_stays_closed_below_the_failure_threshold():
    breaker, transitions = make_breaker()
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    assert transitions == []


def test_it_opens_after_the_configured_consecutive_failures_and_refuses_calls():
    breaker, transitions = make_breaker()
    fail(breaker, 3)
    assert breaker.state is BreakerState.OPEN
    assert breaker.acquire() is None
    assert transitions == [(BreakerState.CLOSED, BreakerState.OPEN)]


def test_a_success_resets_the_consecutive_failure_count():
    breaker, _ = make_breaker()
    fail(breaker, 2)
    breaker.record_success(breaker.acquire())
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


def test_answers_that_prove_riskcast_is_alive_never_open_it():
    # The client reports 4xx (400, 401, 409, 422...) as successes: a thousand of them keep it closed.
    breaker, _ = make_breaker()
    for _ in range(1000):
        breaker.record_success(breaker.acquire())
    assert breaker.state is BreakerState.CLOSED


def test_it_stays_open_during_the_cooldown_then_lets_one_probe_through():
    clock = FakeClock()
    breaker, transitions = open_breaker(clock)
    clock.advance(9.99)
    assert breaker.acquire() is None
    clock.advance(0.01)
    probe = breaker.acquire()
    assert probe is not None and probe.probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.acquire() is None, "a second caller got through while the probe was out"
    assert transitions[-1] == (BreakerState.OPEN, BreakerState.HALF_OPEN)


def test_a_successful_probe_closes_it():
    clock = FakeClock()
    breaker, transitions = open_breaker(clock)
    clock.advance(10)
    breaker.record_success(breaker.acquire())
    assert breaker.state is BreakerState.CLOSED
    assert breaker.acquire() is not None
    assert transitions[-1] == (BreakerState.HALF_OPEN, BreakerState.CLOSED)


def test_a_failed_probe_reopens_it_for_a_fresh_cooldown():
    clock = FakeClock()
    breaker, transitions = open_breaker(clock)
    clock.advance(10)
    breaker.record_failure(breaker.acquire())
    assert breaker.state is BreakerState.OPEN
    clock.advance(9)
    assert breaker.acquire() is None
    clock.advance(1)
    assert breaker.acquire().probe
    assert transitions[-2:] == [
        (BreakerState.HALF_OPEN, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
    ]


def test_a_probe_that_never_reports_expires_so_it_is_never_stuck_half_open():
    clock = FakeClock()
    breaker, _ = open_breaker(clock)
    clock.advance(10)
    lost_probe = breaker.acquire()
    clock.advance(2.0)  # the probe's own deadline
    assert breaker.state is BreakerState.OPEN
    clock.advance(10)
    assert breaker.acquire().probe
    breaker.record_success(lost_probe)  # the lost probe answering late changes nothing
    assert breaker.state is BreakerState.HALF_OPEN


def test_an_abandoned_probe_frees_the_slot_for_the_next_caller():
    clock = FakeClock()
    breaker, _ = open_breaker(clock)
    clock.advance(10)
    breaker.record_abandoned(breaker.acquire())
    assert breaker.acquire().probe


def test_late_results_of_calls_admitted_while_closed_do_not_close_an_open_breaker():
    clock = FakeClock()
    breaker, _ = make_breaker(clock)
    slow_call = breaker.acquire()
    fail(breaker, 3)
    breaker.record_success(slow_call)
    assert breaker.state is BreakerState.OPEN


def test_only_one_of_fifty_threads_gets_the_probe():
    clock = FakeClock()
    breaker, _ = open_breaker(clock)
    clock.advance(10)
    barrier = threading.Barrier(50)
    permits = []

    def call():
        barrier.wait()
        permits.append(breaker.acquire())

    threads = [threading.Thread(target=call) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(p is not None for p in permits) == 1


def test_only_one_of_fifty_asyncio_tasks_gets_the_probe():
    clock = FakeClock()
    breaker, _ = open_breaker(clock)
    clock.advance(10)

    async def call():
        await asyncio.sleep(0)
        return breaker.acquire()

    async def main():
        return await asyncio.gather(*(call() for _ in range(50)))

    assert sum(p is not None for p in asyncio.run(main())) == 1


def test_the_state_values_are_the_gauge_values():
    assert [int(s) for s in (BreakerState.CLOSED, BreakerState.HALF_OPEN, BreakerState.OPEN)] == [0, 1, 2]


def test_it_refuses_nonsense_settings():
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0, cooldown_s=1, probe_timeout_s=1)


def test_a_look_at_the_breaker_issues_no_permit():
    clock = FakeClock()
    breaker, _ = open_breaker(clock)
    assert breaker.is_refusing()
    clock.advance(10)
    assert not breaker.is_refusing()
    assert breaker.state is BreakerState.OPEN  # looking did not take the probe
    assert breaker.acquire().probe
    assert breaker.is_refusing()
