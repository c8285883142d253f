"""A circuit breaker for calls to RiskCast: closed, open, half-open with exactly one probe.

Pure logic, no Django and no I/O. Time comes from an injectable ``clock`` (seconds, monotonic),
so tests drive every transition without sleeping.

- **closed**: calls pass. ``failure_threshold`` consecutive retryable failures open it. Only
  failures the caller reports with ``record_failure`` count; an answer that proves RiskCast is
  alive (2xx, 409, any 4xx) is a ``record_success`` and resets the count.
- **open**: calls are refused until ``cooldown_s`` has passed since it opened.
- **half-open**: the first caller after the cool-down gets the one probe permit; everyone else is
  refused while it is out. The probe's success closes the breaker, its failure re-opens it. A
  probe that reports nothing within ``probe_timeout_s`` is treated as failed, so the breaker is
  never stuck half-open.

Every transition bumps a generation number. A permit remembers the generation it was issued in,
and a result reported for an older generation is ignored: a slow call admitted while closed
cannot close a breaker that opened meanwhile, nor can an abandoned probe answer late.

All state changes happen under one ``threading.Lock`` that is never held across I/O or an
``await``, which makes the breaker safe for threads and for asyncio tasks alike.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class BreakerState(enum.IntEnum):
    """The value is what the ``omen_breaker_state`` gauge shows."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


TransitionCallback = Callable[[BreakerState, BreakerState], None]


@dataclass(frozen=True)
class Permit:
    """Leave to make one call. Hand it back with one of the breaker's ``record_*`` methods."""

    generation: int
    probe: bool


class CircuitBreaker:
    """Counts consecutive retryable failures and stops calls to a dead service for a while."""

    def __init__(
        self,
        *,
        failure_threshold: int,
        cooldown_s: float,
        probe_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_transition: TransitionCallback | None = None,
    ):
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown_s < 0 or probe_timeout_s <= 0:
            raise ValueError("cooldown_s must be >= 0 and probe_timeout_s > 0")
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.probe_timeout_s = probe_timeout_s
        self._clock = clock
        self._on_transition = on_transition
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._generation = 0
        self._failures = 0
        self._opened_at = 0.0
        self._probe_deadline: float | None = None  # set while the probe permit is out
        self._events: list[tuple[BreakerState, BreakerState]] = []  # transitions not yet notified

    @property
    def state(self) -> BreakerState:
        """The current state, after applying any cool-down or probe deadline that has passed."""
        with self._lock:
            self._expire_probe(self._clock())
            state, events = self._state, self._take_events()
        self._notify(events)
        return state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def is_refusing(self) -> bool:
        """Whether ``acquire`` would refuse right now; a cheap look that issues no permit."""
        with self._lock:
            now = self._clock()
            self._expire_probe(now)
            if self._state is BreakerState.OPEN:
                refusing = now - self._opened_at < self.cooldown_s
            else:
                refusing = self._state is BreakerState.HALF_OPEN and self._probe_deadline is not None
            events = self._take_events()
        self._notify(events)
        return refusing

    def acquire(self) -> Permit | None:
        """A permit for one call, or ``None`` when the call must not be made (open, or probe out)."""
        with self._lock:
            now = self._clock()
            self._expire_probe(now)
            if self._state is BreakerState.CLOSED:
                permit = Permit(self._generation, probe=False)
            elif self._state is BreakerState.OPEN and now - self._opened_at >= self.cooldown_s:
                self._move(BreakerState.HALF_OPEN, now)
                self._probe_deadline = now + self.probe_timeout_s
                permit = Permit(self._generation, probe=True)
            elif self._state is BreakerState.HALF_OPEN and self._probe_deadline is None:
                # The previous probe was abandoned without a verdict: the slot is free again.
                self._probe_deadline = now + self.probe_timeout_s
                permit = Permit(self._generation, probe=True)
            else:
                permit = None
            events = self._take_events()
        self._notify(events)
        return permit

    def record_success(self, permit: Permit) -> None:
        """RiskCast answered (2xx, or a 4xx that proves it is alive): closes a half-open breaker."""
        with self._lock:
            if permit.generation != self._generation:
                return
            self._failures = 0
            if permit.probe and self._state is BreakerState.HALF_OPEN:
                self._move(BreakerState.CLOSED, self._clock())
            events = self._take_events()
        self._notify(events)

    def record_failure(self, permit: Permit) -> None:
        """A retryable failure (transport error, timeout, 408, 429, 5xx)."""
        with self._lock:
            if permit.generation != self._generation:
                return
            now = self._clock()
            if permit.probe and self._state is BreakerState.HALF_OPEN:
                self._move(BreakerState.OPEN, now)
            elif self._state is BreakerState.CLOSED:
                self._failures += 1
                if self._failures >= self.failure_threshold:
                    self._move(BreakerState.OPEN, now)
            events = self._take_events()
        self._notify(events)

    def record_abandoned(self, permit: Permit) -> None:
        """The call was not made or was cancelled: no verdict, but a probe's slot is freed."""
        with self._lock:
            if permit.probe and permit.generation == self._generation and self._state is BreakerState.HALF_OPEN:
                self._probe_deadline = None

    # --- internals (called with the lock held) ----------------------------------------------

    def _expire_probe(self, now: float) -> None:
        deadline = self._probe_deadline
        if self._state is BreakerState.HALF_OPEN and deadline is not None and now >= deadline:
            self._move(BreakerState.OPEN, now)

    def _move(self, to: BreakerState, now: float) -> None:
        self._events.append((self._state, to))
        self._state = to
        self._generation += 1
        self._failures = 0
        self._probe_deadline = None
        if to is BreakerState.OPEN:
            self._opened_at = now

    def _take_events(self) -> list[tuple[BreakerState, BreakerState]]:
        events, self._events = self._events, []
        return events

    def _notify(self, events: list[tuple[BreakerState, BreakerState]]) -> None:
        # Outside the lock: a slow metrics or logging callback never holds up other callers.
        if self._on_transition is not None:
            for before, after in events:
                self._on_transition(before, after)
