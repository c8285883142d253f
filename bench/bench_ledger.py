"""Ledger write throughput against raw write+fsync loops, on the same disk, in one run.

    /work/main/.venv/bin/python bench/bench_ledger.py [--records N] [--dir PATH]

Prints one table. Targets: 1 writer >= 0.8x the raw per-record loop; 8 writer threads >= 5x
the raw per-record loop; batches of 100 >= 0.5x the raw fsync-per-100 loop.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.core import Ledger, LedgerRecord

RECORD_BYTES = 600
PAYLOAD = b"x" * (RECORD_BYTES - 60)  # ~600 bytes framed, like the raw loop's records
NOW = datetime.now(UTC)


def raw_loop(directory: str, records: int, every: int) -> float:
    """Records per second of a plain os.write loop with one fsync per ``every`` records."""
    path = os.path.join(directory, "raw.bin")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    data = b"r" * RECORD_BYTES
    started = time.perf_counter()
    for i in range(1, records + 1):
        os.write(fd, data)
        if i % every == 0:
            os.fsync(fd)
    os.fsync(fd)
    elapsed = time.perf_counter() - started
    os.close(fd)
    os.unlink(path)
    return records / elapsed


def _records(n: int, tag: str) -> list[LedgerRecord]:
    return [LedgerRecord(f"{tag}-{i}", NOW, PAYLOAD, "trace") for i in range(n)]


def ledger_run(directory: str, records: int, threads: int, batch: int) -> float:
    path = os.path.join(directory, f"ledger-{threads}-{batch}")
    ledger = Ledger.open(path)
    per_thread = records // threads
    work = [_records(per_thread, f"t{t}") for t in range(threads)]

    def writer(mine: list[LedgerRecord]) -> None:
        for start in range(0, len(mine), batch):
            ledger.append(mine[start : start + batch])

    pool = [threading.Thread(target=writer, args=(work[t],)) for t in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    ledger.close()
    shutil.rmtree(path)
    return per_thread * threads / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="records per scenario and round (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are shown (default 5)")
    parser.add_argument("--dir", default=None, help="directory on the disk to measure (default: ./var)")
    args = parser.parse_args()
    base = args.dir or os.path.join(Path(__file__).resolve().parent.parent, "var")
    os.makedirs(base, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="bench-ledger-", dir=base)
    n = args.records
    runs: dict[str, list[float]] = {"raw1": [], "raw100": [], "one": [], "eight": [], "batch": []}
    try:
        # The disk's fsync latency drifts by tens of percent over seconds, so every round
        # measures every scenario back to back and the table shows the medians.
        for _ in range(args.rounds):
            runs["raw1"].append(raw_loop(directory, n, 1))
            runs["one"].append(ledger_run(directory, n, threads=1, batch=1))
            runs["eight"].append(ledger_run(directory, n * 4, threads=8, batch=1))
            runs["raw100"].append(raw_loop(directory, n * 20, 100))
            runs["batch"].append(ledger_run(directory, n * 20, threads=1, batch=100))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    raw1, raw100, one, eight, batch = (statistics.median(runs[k]) for k in ("raw1", "raw100", "one", "eight", "batch"))

    def ratio(ledger: str, raw: str) -> float:
        # Each round's ledger figure against the raw loop measured just before it.
        return statistics.median(a / b for a, b in zip(runs[ledger], runs[raw], strict=True))

    rows = [
        ("raw write+fsync per record", raw1, "", ""),
        ("raw write, fsync per 100", raw100, "", ""),
        ("ledger, 1 writer", one, f"{ratio('one', 'raw1'):.2f}x raw/record", ">= 0.8x"),
        ("ledger, 8 writer threads", eight, f"{ratio('eight', 'raw1'):.2f}x raw/record", ">= 5x"),
        ("ledger, batches of 100", batch, f"{ratio('batch', 'raw100'):.2f}x raw/100", ">= 0.5x"),
    ]
    print(f"# {platform.node()} · {platform.platform()} · {os.cpu_count()} CPUs · Python {platform.python_version()}")
    print(f"# disk: {base} · {n} records per scenario (x4 for 8 threads, x20 for batches) · median of {args.rounds}")
    print(f"{'scenario':<30} {'records/s':>12}  {'ratio':<20} {'target':<8}")
    for name, rate, ratio, target in rows:
        print(f"{name:<30} {rate:>12,.0f}  {ratio:<20} {target:<8}")


if __name__ == "__main__":
    main()
