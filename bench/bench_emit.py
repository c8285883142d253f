"""The producer end to end on one embedded node, next to RiskCast ingest alone, in one run.

    .venv/bin/python bench/bench_emit.py [--requests N] [--batches B] [--concurrency C] [--rounds R]

Starts the real project the way ``scripts/serve`` does (``manage.py serve``: one uvicorn
process, every plugin, SQLite, the emitter calling RiskCast over HTTP on its own port) on
127.0.0.1, then drives it with the async httpx load generator, in interleaved rounds:

- ``ingest``: ``POST /api/v1/riskcast/ingest``, one distinct event per request (the figure the
  producer path is compared with, served by the same process);
- ``emit``: ``POST /api/v1/signals``, one distinct signal per request: validation, ledger append
  and fsync, delivery to RiskCast over HTTP, delivery state;
- ``emit batch``: the same with B distinct signals per request.

Every body is distinct (a per-run tag in ``source_event_id``): identical content would share a
``signal_id`` and measure idempotent re-posts instead. 201 means every signal of the request
reached RiskCast; 202 (some only in the ledger) and anything else are counted as unexpected.
Prints signals/s, requests/s and p50/p99 per request (medians over rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import JSON, Measure, Request, drive
from omenproject.signals import build_event, payload_hash
from omenproject.testing.builders import make_signal
from omenproject.testing.live_server import free_port, live_server

TRACE = "5c1e6a3b9d2f47c08e4b1a2d3c4e5f60"


def producer_content(tag: str, n: int) -> dict:
    return make_signal(source_event_id=f"bench-{tag}-{n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="single requests per scenario and round")
    parser.add_argument("--batches", type=int, default=30, help="batch requests per round")
    parser.add_argument("--batch-size", type=int, default=100, help="signals per batch (at most 100)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the load generator")
    parser.add_argument("--batch-concurrency", type=int, default=4, help="connections for batches")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; medians are shown")
    parser.add_argument("--limit-s", type=float, default=90.0, help="time cap per scenario and round")
    args = parser.parse_args()

    port = free_port()
    env = {
        "RISKCAST_URL": f"http://127.0.0.1:{port}",
        "OMEN_RATE_LIMIT_DEFAULT": "1000000/min",
        # The drain would compete for the same CPU; nothing should be LEDGER_ONLY anyway.
        "EMITTER_DRAIN_IN_PROCESS": "false",
    }
    tag = secrets.token_hex(4)
    serial = iter(range(10**9))
    runs: dict[str, list[Measure]] = {"ingest": [], "emit": [], "batch": []}

    def distinct(count: int) -> list[dict]:
        return [producer_content(tag, next(serial)) for _ in range(count)]

    with live_server(plugins="all", server="serve", env=env, port=port) as server:
        url, auth = server.url, server.auth_headers

        def ingest_work(count: int) -> list[Request]:
            now = datetime.now(UTC)
            events = [build_event(content, trace_id=TRACE, emitted_at=now) for content in distinct(count)]
            return [
                Request(
                    json.dumps(e).encode(),
                    {**JSON, "Idempotency-Key": e["signal_id"], "X-Payload-Hash": payload_hash(e)},
                    1,
                )
                for e in events
            ]

        def emit_work(count: int, size: int) -> list[Request]:
            if size == 1:
                return [Request(json.dumps(c).encode(), JSON, 1) for c in distinct(count)]
            return [Request(json.dumps(distinct(size)).encode(), JSON, size) for _ in range(count)]

        def run(path: str, work: list[Request], concurrency: int) -> Measure:
            return drive(url, path, auth, work, concurrency=concurrency, limit_s=args.limit_s)

        # Warm-up: imports, connections (the emitter's too) and the first ledger segment.
        run("/api/v1/riskcast/ingest", ingest_work(100), args.concurrency)
        run("/api/v1/signals", emit_work(100, 1), args.concurrency)
        run("/api/v1/signals", emit_work(4, args.batch_size), args.batch_concurrency)
        for _ in range(args.rounds):
            runs["ingest"].append(run("/api/v1/riskcast/ingest", ingest_work(args.requests), args.concurrency))
            runs["emit"].append(run("/api/v1/signals", emit_work(args.requests, 1), args.concurrency))
            batch = emit_work(args.batches, args.batch_size)
            runs["batch"].append(run("/api/v1/signals", batch, args.batch_concurrency))
        if any(code >= 500 for measures in runs.values() for m in measures for code in m.statuses):
            errors = [line for line in server.log_tail(200_000).splitlines() if '"level": "ERROR"' in line]
            print("# server errors (last 5):", *errors[-5:], sep="\n# ")

    def med(name: str, value) -> float:
        return statistics.median(value(m) for m in runs[name])

    def ratio(name: str) -> float:
        # Each round's figure against the ingest measured just before it, in signals/s.
        pairs = zip(runs[name], runs["ingest"], strict=True)
        return statistics.median(m.signals_s / i.signals_s for m, i in pairs)

    rows = [
        ("ingest", "riskcast ingest, 1 per request", 201, "1.00x"),
        ("emit", "emit, 1 signal per request", 201, f"{ratio('emit'):.2f}x"),
        ("batch", f"emit, batch of {args.batch_size}", 201, f"{ratio('batch'):.2f}x"),
    ]
    print(f"# {platform.node()} · {platform.platform()} · {os.cpu_count()} CPUs · Python {platform.python_version()}")
    print(
        f"# manage.py serve (uvicorn, 1 process, all plugins, SQLite) · load: {args.concurrency} connections "
        f"({args.batch_concurrency} for batches), {args.requests} singles / {args.batches} batches per round "
        f"· median of {args.rounds} rounds"
    )
    print(f"{'scenario':<32} {'req/s':>8} {'signals/s':>10} {'p50 ms':>7} {'p99 ms':>8} {'unexpected':>10}  x ingest")
    for name, label, expected, ratio_text in rows:
        unexpected = sum(m.unexpected(expected) for m in runs[name])
        print(
            f"{label:<32} {med(name, lambda m: m.requests_s):>8,.0f} {med(name, lambda m: m.signals_s):>10,.0f} "
            f"{med(name, lambda m: m.percentile_ms(0.5)):>7.1f} {med(name, lambda m: m.percentile_ms(0.99)):>8.1f} "
            f"{unexpected:>10}  {ratio_text}"
        )
    for name, measures in runs.items():
        statuses = Counter()
        for m in measures:
            statuses.update(m.statuses)
        print(f"# {name} statuses: {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    main()
