"""When to try a delivery again, and how long to wait first.

Pure logic, no Django and no I/O: the caller measures elapsed time and does the sleeping, so
tests check every decision with plain numbers and an injectable random source.

- Only transient failures are retried: transport errors, timeouts, 408, 429 and 5xx. Every other
  answer is final (2xx delivered, 409 duplicate, other 4xx rejected).
- The wait before attempt ``n + 1`` is *full jitter*: uniform in ``[0, min(max_s, base_s * 2**(n-1))]``,
  which spreads a crowd of retrying callers instead of having them hit RiskCast in waves.
- ``Retry-After`` (seconds or an HTTP date) is honoured: the wait is at least what the server asked.
  A server that asks for more than ``max_s`` ends the hot path instead; the signal is safe in the
  ledger and the drain worker comes back later.
- Attempts are capped by ``max_attempts`` and by ``budget_s``, the time the whole delivery may take;
  a wait that would end past the budget is not started. There is never a wait after the last attempt.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({408, 429})


def is_retryable_status(status_code: int) -> bool:
    """408 Request Timeout, 429 Too Many Requests and every 5xx are worth another try."""
    return status_code in RETRYABLE_STATUSES or 500 <= status_code <= 599


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP date), or ``None``.

    Unparsable values are ignored (``None``); dates in the past mean "now" (0 seconds).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt cap, exponential backoff with full jitter, total time budget, ``Retry-After`` cap."""

    max_attempts: int = 3
    base_s: float = 0.05
    max_s: float = 1.0
    budget_s: float = 5.0
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_s < 0 or self.max_s < 0 or self.budget_s <= 0:
            raise ValueError("base_s and max_s must be >= 0 and budget_s > 0")

    def backoff_ceiling(self, attempt: int) -> float:
        """The largest wait after failed attempt number ``attempt`` (1-based), before jitter."""
        # min() first on the exponent keeps 2**n from overflowing for absurd attempt numbers.
        exponent = min(attempt - 1, 64)
        return min(self.max_s, self.base_s * (2.0**exponent))

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in ``[0, backoff_ceiling(attempt)]``."""
        return self.rng() * self.backoff_ceiling(attempt)

    def delay_before_retry(self, attempt: int, *, elapsed_s: float, retry_after_s: float | None = None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to stop retrying now.

        ``attempt`` is the number of the attempt that just failed with a retryable error;
        ``elapsed_s`` is the time the whole delivery has taken so far.
        """
        if attempt >= self.max_attempts:
            return None  # that was the last attempt: never sleep after it
        delay = self.backoff(attempt)
        if retry_after_s is not None:
            if retry_after_s > self.max_s:
                return None
            delay = max(delay, retry_after_s)
        if elapsed_s + delay >= self.budget_s:
            return None
        return delay
