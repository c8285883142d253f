"""Reconcile: time to detect and replay 1% missing of a large partition, and to find nothing to do.

    .venv/bin/python bench/bench_reconcile.py [--signals N] [--missing-pct P]

Starts a real RiskCast (``live_server(plugins="riskcast")``, gunicorn on 127.0.0.1), writes two
sealed ledger partitions of N signals in this process, seeds RiskCast through its batch ingest
(all of one partition, all but P% of the other), then times ``reconcile_partition`` on both,
next to two baselines measured on the same data: a plain read of every ledger record of a
partition, and a listing of every id RiskCast holds for one. Prints one table. Targets
(N = 100,000, P = 1): detect and replay under 60 s; a matching partition decided in under 1 s.
Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(data_dir: Path, server) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "omenproject.settings",
            "OMEN_DATA_DIR": str(data_dir),
            "OMEN_PLUGINS": "ledger,emitter,reconcile",
            "RISKCAST_URL": server.url,
            "EMITTER_RISKCAST_API_KEY": server.api_key,
            "LOG_LEVEL": "WARNING",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def write_partition(day: str, n: int) -> list[dict]:
    from ledger.core import LedgerRecord
    from ledger.services import ledger_append, ledger_seal
    from omenproject.signals import build_event, canonical_json
    from omenproject.testing.builders import make_signal

    moment = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    events = [build_event(make_signal(), trace_id="ab" * 16, emitted_at=moment) for _ in range(n)]
    for start in range(0, n, 5000):
        chunk = events[start : start + 5000]
        ledger_append([LedgerRecord(e["signal_id"], moment, canonical_json(e), e["trace_id"]) for e in chunk])
    ledger_seal(partition=day)
    return events


def seed(server, events: list[dict]) -> None:
    import httpx

    from omenproject.signals import canonical_json

    bodies = [[json.loads(canonical_json(e)) for e in events[i : i + 100]] for i in range(0, len(events), 100)]
    with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=120) as http:

        def post(body):
            answer = http.post("/api/v1/riskcast/ingest", json=body)
            answer.raise_for_status()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, bodies))


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--missing-pct", type=float, default=1.0)
    args = parser.parse_args()
    from omenproject.testing.live_server import live_server

    env = {"OMEN_RATE_LIMIT_DEFAULT": "10000000/min"}
    with (
        tempfile.TemporaryDirectory(prefix="omen-bench-reconcile-") as tmp,
        live_server(plugins="riskcast", workers=2, threads=8, env=env, ready_timeout=60) as server,
    ):
        setup_django(Path(tmp), server)
        from ledger.selectors import ledger_records_by_partition
        from reconcile.remote import RiskCastReader
        from reconcile.selectors import reconcile_plan
        from reconcile.services import reconcile_partition

        n, missing = args.signals, round(args.signals * args.missing_pct / 100)
        (gappy, matching), setup_s = timed(lambda: (write_partition("2025-06-01", n), write_partition("2025-06-02", n)))
        _, seed_s = timed(lambda: (seed(server, gappy[: n - missing]), seed(server, matching)))
        # Baselines: the least I/O any reconcile of these partitions does (read every ledger
        # record; list every id RiskCast holds), measured on the same data in the same run.
        _, scan_s = timed(lambda: sum(1 for _ in ledger_records_by_partition("2025-06-02")))
        with RiskCastReader() as remote:
            _, listing_s = timed(lambda: sum(1 for _ in remote.signal_ids("2025-06-01")))
        run = lambda day, **kw: reconcile_partition(partition=day, actor="bench", max_per_run=n, **kw)  # noqa: E731
        first, detect_s = timed(lambda: run("2025-06-01"))
        again, again_s = timed(lambda: run("2025-06-01", force=True))
        same, same_s = timed(lambda: run("2025-06-02"))
        plan, plan_s = timed(reconcile_plan)
        both_s = scan_s + listing_s
        rows = [
            ("detect + replay", f"{n:,} signals, {missing:,} missing", detect_s, first, "< 60 s", detect_s / both_s),
            ("second run (forced)", "nothing missing any more", again_s, again, "", again_s / scan_s),
            ("matching partition", f"{n:,} signals, none missing", same_s, same, "< 1 s", same_s / scan_s),
        ]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"setup: ledger {setup_s:.1f} s for {2 * n:,} signals, RiskCast seeding {seed_s:.1f} s")
        print(f"baselines: ledger scan of {n:,} records {scan_s:.2f} s; RiskCast id listing {listing_s:.2f} s\n")
        print("| scenario | partition | seconds | status | digest matched | missing | replayed | target | ratio |")
        print("|---|---|---:|---|---|---:|---:|---|---|")
        for name, what, seconds, report, target, ratio in rows:
            base = "scan + listing" if name == "detect + replay" else "scan"
            print(
                f"| {name} | {what} | {seconds:.2f} | {report.status} | {report.digest_matched} "
                f"| {report.missing:,} | {report.replayed:,} | {target} | {ratio:.2f}x {base} |"
            )
        due = [item.partition for item in plan if item.run]
        what = f"2 partitions, none due ({due})"
        print(f"| needs_reconcile over every partition | {what} | {plan_s:.3f} | | | | | < 1 s | |")


if __name__ == "__main__":
    main()
