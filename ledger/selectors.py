"""Reads from the ledger: records by partition, signal_id, seq or time, and storage stats."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from ledger.core import LedgerCorruption, LedgerReader, SignalIndex, StoredRecord
from ledger.core.metadata import is_late, read_manifest
from ledger.core.segment import list_segments, segment_name
from ledger.metrics import PrometheusObserver
from ledger.services import get_ledger

_lock = threading.Lock()
_index: SignalIndex | None = None


def ledger_reader(*, on_corruption: Callable[[LedgerCorruption], None] | None = None) -> LedgerReader:
    """A reader over the process's ledger directory (opening the ledger if needed).

    ``on_corruption`` is called with each corrupt range the reader skips (reconcile counts them).
    """
    return LedgerReader(get_ledger().directory, observer=PrometheusObserver(), on_corruption=on_corruption)


def _signal_index() -> SignalIndex:
    global _index  # noqa: PLW0603 - one index connection per process
    with _lock:
        directory = get_ledger().directory
        if _index is None or _index.reader.directory != directory:
            _index = SignalIndex(ledger_reader())
        return _index


def ledger_partitions() -> list[str]:
    return ledger_reader().partitions()


def ledger_records_by_partition(partition: str) -> Iterator[StoredRecord]:
    """Every record of exactly ``partition`` in seq order (a ``-late`` partition is separate)."""
    return ledger_reader().read_partition(partition)


def ledger_records_by_seq(first: int, last: int) -> Iterator[StoredRecord]:
    return ledger_reader().read_seq_range(first, last)


def ledger_records_by_time(start: datetime, end: datetime) -> Iterator[StoredRecord]:
    return ledger_reader().read_time_range(start, end)


def ledger_records_by_signal_id(signal_id: str) -> list[StoredRecord]:
    """Records stored under ``signal_id`` (through the index, not a scan)."""
    return _signal_index().lookup(signal_id)


def ledger_partition_marks() -> dict[str, tuple[int, int | None]]:
    """``{partition: (records, high-water seq)}`` for every partition, from the index (no scan)."""
    index = _signal_index()
    index.catch_up()
    return index.marks()


def ledger_partition_summary(partition: str) -> dict:
    """Records, segments, bytes, seq range and seal state of one partition."""
    index = _signal_index()
    index.catch_up()
    pdir = os.path.join(index.reader.directory, partition)
    segments = list_segments(pdir)
    manifest = read_manifest(pdir)
    return {
        "partition": partition,
        "late": is_late(partition),
        "sealed": manifest is not None,
        "segments": len(segments),
        "records": index.counts().get(partition, (0, 0))[1],
        "bytes": sum(os.path.getsize(os.path.join(pdir, segment_name(n))) for n in segments),
        "first_seq": manifest.first_seq if manifest else None,
        "last_seq": manifest.last_seq if manifest else None,
    }


def ledger_storage_stats() -> dict:
    """Totals and per-partition figures: partitions, segments, records, bytes."""
    index = _signal_index()
    index.catch_up()
    counts = index.counts()
    rows = []
    for partition in index.reader.partitions():
        pdir = os.path.join(index.reader.directory, partition)
        segments = list_segments(pdir)
        rows.append(
            {
                "partition": partition,
                "sealed": read_manifest(pdir) is not None,
                "segments": len(segments),
                "records": counts.get(partition, (0, 0))[1],
                "bytes": sum(os.path.getsize(os.path.join(pdir, segment_name(n))) for n in segments),
            }
        )
    return {
        "partitions": len(rows),
        "segments": sum(r["segments"] for r in rows),
        "records": sum(r["records"] for r in rows),
        "bytes": sum(r["bytes"] for r in rows),
        "per_partition": rows,
    }
