"""A bulkhead: at most ``size`` concurrent calls, and nobody ever waits for a slot.

Pure logic, no Django. When every slot is taken ``try_acquire`` answers ``False`` at once; the
caller then leaves the signal in the ledger (``LEDGER_ONLY``) instead of queueing behind a slow
RiskCast. One ``threading.Lock`` guards the counter and is never held across I/O or an ``await``,
so the same bulkhead serves threads and asyncio tasks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Bulkhead:
    """Counts in-flight calls against a fixed limit, without ever blocking."""

    def __init__(self, size: int, *, on_change: Callable[[int], None] | None = None):
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._in_flight = 0
        self._lock = threading.Lock()
        self._on_change = on_change

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def try_acquire(self) -> bool:
        """Take a slot if one is free; ``False`` immediately when full."""
        with self._lock:
            if self._in_flight >= self.size:
                return False
            self._in_flight += 1
            current = self._in_flight
        self._changed(current)
        return True

    def release(self) -> None:
        """Give back a slot taken by a successful ``try_acquire``."""
        with self._lock:
            if self._in_flight == 0:
                raise RuntimeError("Bulkhead.release() without a matching try_acquire()")
            self._in_flight -= 1
            current = self._in_flight
        self._changed(current)

    def _changed(self, current: int) -> None:
        if self._on_change is not None:
            self._on_change(current)
