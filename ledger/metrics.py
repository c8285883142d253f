"""The ledger's Prometheus metrics, fed by the core through ``PrometheusObserver``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from ledger.core import LedgerCorruption, LedgerObserver

APPENDS_TOTAL = Counter("omen_ledger_appends_total", "Records appended and fsync'd to the ledger.")
FSYNC_SECONDS = Histogram(
    "omen_ledger_fsync_seconds",
    "Time spent in fsync per group commit.",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
)
GROUP_COMMIT_BATCH_SIZE = Histogram(
    "omen_ledger_group_commit_batch_size",
    "Records written by one group commit (one fsync).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096),
)
GROUP_COMMIT_CALLERS = Histogram(
    "omen_ledger_group_commit_callers",
    "Append calls served by one group commit.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
TORN_TAIL_TRUNCATIONS_TOTAL = Counter(
    "omen_ledger_torn_tail_truncations_total", "Torn segment tails truncated by recovery."
)
TORN_TAIL_BYTES_TOTAL = Counter("omen_ledger_torn_tail_bytes_total", "Bytes removed by torn-tail truncation.")
CORRUPTIONS_TOTAL = Counter(
    "omen_ledger_corruptions_total",
    "Corrupt ranges found and quarantined, by who found them first (recovery, reader, verify, seal).",
    ["source"],
)
WRITE_FAILURES_TOTAL = Counter("omen_ledger_write_failures_total", "Failed ledger writes or fsyncs.")
BUSY_TOTAL = Counter("omen_ledger_busy_total", "Appends refused because the ledger queue was full.")


class PrometheusObserver(LedgerObserver):
    def appended(self, records: int) -> None:
        APPENDS_TOTAL.inc(records)

    def group_committed(self, batch_records: int, callers: int) -> None:
        GROUP_COMMIT_BATCH_SIZE.observe(batch_records)
        GROUP_COMMIT_CALLERS.observe(callers)

    def fsynced(self, seconds: float) -> None:
        FSYNC_SECONDS.observe(seconds)

    def torn_tail_truncated(self, partition: str, segment: int, offset: int, length: int) -> None:
        TORN_TAIL_TRUNCATIONS_TOTAL.inc()
        TORN_TAIL_BYTES_TOTAL.inc(length)

    def corruption_found(self, exc: LedgerCorruption, source: str) -> None:
        CORRUPTIONS_TOTAL.labels(source=source).inc()

    def write_failed(self, exc: BaseException) -> None:
        WRITE_FAILURES_TOTAL.inc()
