"""The benchmarks' load generator: async httpx on keep-alive connections, bounded in count and time."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

JSON = {"Content-Type": "application/json"}


@dataclass
class Request:
    body: bytes  # pre-encoded, so that the generator spends its CPU on HTTP only
    headers: dict[str, str]
    signals: int


@dataclass
class Measure:
    seconds: float
    latencies: list[float]
    statuses: Counter
    requests: int
    signals: int
    bodies: list[bytes] = field(default_factory=list, repr=False)

    @property
    def requests_s(self) -> float:
        return self.requests / self.seconds

    @property
    def signals_s(self) -> float:
        return self.signals / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000

    def unexpected(self, *expected: int) -> int:
        return sum(n for code, n in self.statuses.items() if code not in expected)


async def _drive(
    base_url: str, path: str, auth: dict, work: list[Request], *, concurrency: int, limit_s: float, keep: bool
) -> Measure:
    pending = iter(work)
    latencies: list[float] = []
    statuses: Counter = Counter()
    bodies: list[bytes] = []
    totals = {"requests": 0, "signals": 0}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, headers=auth, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + limit_s

        async def worker() -> None:
            for request in pending:  # one shared iterator: every request is sent once
                began = time.perf_counter()
                response = await client.post(path, content=request.body, headers=request.headers)
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] += 1
                totals["requests"] += 1
                totals["signals"] += request.signals
                if keep:
                    bodies.append(response.content)
                if began > deadline:
                    return

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Measure(seconds, latencies, statuses, totals["requests"], totals["signals"], bodies)


def drive(
    base_url: str,
    path: str,
    auth: dict,
    work: list[Request],
    *,
    concurrency: int,
    limit_s: float = 60.0,
    keep_bodies: bool = False,
) -> Measure:
    """POST every request of ``work`` with ``concurrency`` connections; stop early after ``limit_s``."""
    return asyncio.run(_drive(base_url, path, auth, work, concurrency=concurrency, limit_s=limit_s, keep=keep_bodies))


def median(values) -> float:
    return statistics.median(list(values))
