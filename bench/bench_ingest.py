"""RiskCast ingest throughput against a bare one-row DRF view, served the same way, in one run.

    .venv/bin/python bench/bench_ingest.py [--requests N] [--batches B] [--concurrency C] [--rounds R]

Starts two real servers on 127.0.0.1 with ``live_server`` (RiskCast only, SQLite, gunicorn with
threads: the production shape of the API): one with the project's settings, one with
``bench.ceiling_settings``, which adds a bare view that inserts one row (the framework ceiling).
An async httpx load generator then measures, in interleaved rounds, the ceiling, single-signal
ingest of distinct signals, the same signals again (409 duplicates) and batches of 100 distinct
signals. Prints requests/s, signals/s and p50/p99 per request (medians over rounds) with the
ratios. Targets: single ingest >= 0.7x the ceiling; batch ingest >= 5,000 signals/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import JSON, Measure, Request, drive
from omenproject.signals import payload_hash
from omenproject.testing.live_server import live_server
from riskcast.tests.builders import make_events

INGEST = "/api/v1/riskcast/ingest"
CEILING = "/bench/ceiling"


def singles(events: list[dict]) -> list[Request]:
    """One event per request, with the headers the emitter sends."""
    return [
        Request(
            json.dumps(event).encode(),
            {**JSON, "Idempotency-Key": event["signal_id"], "X-Payload-Hash": payload_hash(event)},
            1,
        )
        for event in events
    ]


def batches(events: list[dict], size: int) -> list[Request]:
    return [
        Request(json.dumps(events[i : i + size]).encode(), JSON, len(events[i : i + size]))
        for i in range(0, len(events), size)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="single requests per scenario and round")
    parser.add_argument("--batches", type=int, default=60, help="batch requests per round")
    parser.add_argument("--batch-size", type=int, default=100, help="events per batch (at most 100)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the load generator")
    parser.add_argument("--batch-concurrency", type=int, default=4, help="connections for batches")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are shown")
    parser.add_argument("--server", choices=("gunicorn", "uvicorn"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    parser.add_argument("--limit-s", type=float, default=60.0, help="time cap per scenario and round")
    args = parser.parse_args()

    env = {"OMEN_RATE_LIMITS": "riskcast:ingest=1000000/s"}
    shape = {"plugins": "riskcast", "server": args.server, "workers": args.workers, "threads": args.threads}
    runs: dict[str, list[Measure]] = {"ceiling": [], "single": [], "duplicate": [], "batch": []}
    tag = secrets.token_hex(3)
    with (
        live_server(**shape, env={**env, "DJANGO_SETTINGS_MODULE": "bench.ceiling_settings"}) as ceiling,
        live_server(**shape, env=env) as riskcast,
    ):
        auth = {"ceiling": ceiling.auth_headers, "riskcast": riskcast.auth_headers}

        def run(server, path: str, work: list[Request], concurrency: int) -> Measure:
            key = "ceiling" if server is ceiling else "riskcast"
            return drive(server.url, path, auth[key], work, concurrency=concurrency, limit_s=args.limit_s)

        # Warm every worker and thread (imports, connections, prepared state) before measuring.
        warm = make_events(200, tag=f"warm-{tag}")
        run(ceiling, CEILING, singles(warm), args.concurrency)
        run(riskcast, INGEST, singles(warm), args.concurrency)
        run(riskcast, INGEST, batches(make_events(400, tag=f"warm-b-{tag}"), args.batch_size), 4)
        for round_no in range(args.rounds):
            events = make_events(args.requests, tag=f"s-{tag}-{round_no}")
            work = singles(events)
            runs["ceiling"].append(run(ceiling, CEILING, work, args.concurrency))
            runs["single"].append(run(riskcast, INGEST, work, args.concurrency))
            runs["duplicate"].append(run(riskcast, INGEST, work, args.concurrency))
            batch_events = make_events(args.batches * args.batch_size, tag=f"b-{tag}-{round_no}")
            runs["batch"].append(run(riskcast, INGEST, batches(batch_events, args.batch_size), args.batch_concurrency))

    expected = {"ceiling": 201, "single": 201, "duplicate": 409, "batch": 200}

    def median(name: str, attribute: str) -> float:
        if attribute in ("p50", "p99"):
            fraction = 0.5 if attribute == "p50" else 0.99
            return statistics.median(m.percentile_ms(fraction) for m in runs[name])
        return statistics.median(getattr(m, attribute) for m in runs[name])

    def ratio(name: str) -> float:
        # Each round's figure against the ceiling measured just before it.
        return statistics.median(m.requests_s / c.requests_s for m, c in zip(runs[name], runs["ceiling"], strict=True))

    labels = {
        "ceiling": ("bare DRF view, 1 INSERT (ceiling)", "", ""),
        "single": ("ingest, 1 distinct signal", f"{ratio('single'):.2f}x ceiling", ">= 0.7x"),
        "duplicate": ("ingest, 1 duplicate (409)", f"{ratio('duplicate'):.2f}x ceiling", ""),
        "batch": (f"ingest, batch of {args.batch_size}", "", ">= 5,000 sig/s"),
    }
    print(f"# {platform.node()} · {platform.platform()} · {os.cpu_count()} CPUs · Python {platform.python_version()}")
    print(
        f"# {args.server} {args.workers} workers x {args.threads} threads · SQLite · load: {args.concurrency} "
        f"connections ({args.batch_concurrency} for batches), {args.requests} singles / {args.batches} batches "
        f"per round · median of {args.rounds} rounds"
    )
    print(f"{'scenario':<36} {'req/s':>8} {'signals/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'unexpected':>10}  ratio")
    for name, (label, ratio_text, target) in labels.items():
        unexpected = sum(m.unexpected(expected[name]) for m in runs[name])
        print(
            f"{label:<36} {median(name, 'requests_s'):>8,.0f} {median(name, 'signals_s'):>10,.0f} "
            f"{median(name, 'p50'):>7.1f} {median(name, 'p99'):>7.1f} {unexpected:>10}  {ratio_text:<14} {target}"
        )


if __name__ == "__main__":
    main()
