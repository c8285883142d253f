"""Retry policy: what is retried, backoff with full jitter, Retry-After, caps (audit 23)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emitter.outcome import DeliveryStatus
from emitter.retry import RetryPolicy, is_retryable_status, parse_retry_after
from emitter.tests.conftest import FakeClock, deliver, make_event

pytestmark = pytest.mark.audit("23")


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_timeouts_throttling_and_server_errors_are_retryable(status):
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 201, 301, 400, 401, 403, 404, 409, 413, 422])
def test_successes_and_client_errors_are_not_retryable(status):
    assert not is_retryable_status(status)


@given(attempt=st.integers(1, 200), draw=st.floats(0, 1, exclude_max=True))
def test_full_jitter_stays_between_zero_and_the_capped_exponential(attempt, draw):
    policy = RetryPolicy(base_s=0.1, max_s=2.0, rng=lambda: draw)
    ceiling = min(2.0, 0.1 * 2 ** (attempt - 1))
    assert 0 <= policy.backoff(attempt) <= ceiling


def test_the_backoff_ceiling_doubles_until_the_cap():
    policy = RetryPolicy(base_s=0.1, max_s=1.0)
    assert [policy.backoff_ceiling(n) for n in range(1, 7)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_jitter_spreads_waits_over_the_whole_range():
    policy = RetryPolicy(base_s=1.0, max_s=1.0, rng=random.Random(7).random)
    waits = [policy.backoff(1) for _ in range(2000)]
    assert min(waits) < 0.05 and max(waits) > 0.95


def test_there_is_never_a_wait_after_the_last_attempt():
    policy = RetryPolicy(max_attempts=3, rng=lambda: 0.5)
    assert policy.delay_before_retry(2, elapsed_s=0) is not None
    assert policy.delay_before_retry(3, elapsed_s=0) is None


def test_a_wait_that_would_end_past_the_budget_is_not_started():
    policy = RetryPolicy(max_attempts=10, base_s=1.0, max_s=1.0, budget_s=5.0, rng=lambda: 0.5)
    assert policy.delay_before_retry(1, elapsed_s=4.0) == 0.5
    assert policy.delay_before_retry(1, elapsed_s=4.6) is None


def test_retry_after_is_a_floor_on_the_wait_and_too_long_a_one_ends_the_hot_path():
    policy = RetryPolicy(base_s=0.01, max_s=2.0, rng=lambda: 0.5)
    assert policy.delay_before_retry(1, elapsed_s=0, retry_after_s=1.5) == 1.5
    assert policy.delay_before_retry(1, elapsed_s=0, retry_after_s=3.0) is None


def test_retry_after_is_read_as_seconds_or_an_http_date():
    now = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2", now=now) == 2.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") == 0.0


# --- the client's retry loop, at the httpx seam, with a fake sleep ---------------------------


def scripted(*answers):
    """A transport answering each request with the next item: a status, (status, headers) or an exception."""
    calls = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        body = {"ack_id": "ack-1"} if status < 300 else {"error": {"code": "x", "details": {}}}
        return httpx.Response(status, json=body, headers=headers)

    return httpx.MockTransport(handle), calls


@pytest.fixture
def looping(make_client):
    """``looping(*answers, **config)`` -> (client, calls, sleeps): the loop with a fake sleep and clock."""

    def make(*answers, **overrides):
        transport, calls = scripted(*answers)
        sleeps = []
        clock = FakeClock()

        def fake_sleep(seconds):
            sleeps.append(seconds)
            clock.advance(seconds)

        values = {"max_attempts": 4, "retry_base_s": 0.1, "retry_max_s": 5.0, "retry_budget_s": 30.0}
        values |= {"breaker_failures": 100, "rng": lambda: 1.0, "clock": clock, "sleep": fake_sleep} | overrides
        client = make_client("http://riskcast.test", transport=transport, **values)
        return client, calls, sleeps

    return make


@pytest.mark.parametrize(
    "failure",
    [408, 429, 500, 503, httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")],
)
def test_the_client_retries_transient_failures_until_it_delivers(looping, failure):
    client, calls, sleeps = looping(failure, failure, 201)
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.DELIVERED
    assert result.attempts == 3 and len(calls) == 3
    assert sleeps == pytest.approx([0.1, 0.2])  # rng 1.0: the top of each full-jitter range


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_the_client_never_retries_a_rejection(looping, status):
    client, calls, sleeps = looping(status, 201)
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.REJECTED
    assert len(calls) == 1 and sleeps == []


def test_the_client_stops_at_the_attempt_cap_without_a_last_sleep(looping):
    client, calls, sleeps = looping(503)
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.LEDGER_ONLY
    assert result.attempts == 4 and len(calls) == 4
    assert len(sleeps) == 3, "slept after the last attempt"
    assert result.error == "http_503" and result.http_status == 503


def test_the_client_stops_at_the_time_budget(looping):
    client, calls, sleeps = looping(503, max_attempts=50, retry_base_s=1.0, retry_max_s=1.0, retry_budget_s=3.5)
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.LEDGER_ONLY
    assert sleeps == [1.0, 1.0, 1.0] and len(calls) == 4  # a 4th wait would end past 3.5 s


def test_the_client_honours_retry_after(looping):
    client, calls, sleeps = looping((429, {"Retry-After": "2"}), 201)
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.DELIVERED
    assert sleeps == [2.0]


def test_the_client_leaves_the_signal_in_the_ledger_when_retry_after_is_too_long(looping):
    client, calls, sleeps = looping((503, {"Retry-After": "120"}), 201)
    result = deliver(client, make_event())
    assert result.status is DeliveryStatus.LEDGER_ONLY
    assert len(calls) == 1 and sleeps == []
