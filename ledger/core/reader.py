"""Reading the ledger: by partition, seq range, time range, position and ``signal_id``.

Every query streams: memory stays bounded by one record per open segment, however large
the ledger. Readers never take the writers' lock; each segment is read up to the size it
had when the reader reached it, so a frame being written right now is simply not seen yet.
Corrupt ranges are reported (and quarantined) and skipped: the records after them are
returned.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from ledger.core.errors import LedgerCorruption
from ledger.core.framing import HEADER_SIZE, Position, StoredRecord, decode_body
from ledger.core.metadata import (
    IDENTITY_FILE,
    list_partitions,
    partition_date,
    read_manifest,
)
from ledger.core.observer import LedgerObserver
from ledger.core.recovery import report_gap
from ledger.core.segment import Frame, Gap, Tail, list_segments, read_header, scan_frames
from ledger.core.segment import segment_name as _segment_name


def read_ledger_id(directory: str) -> bytes | None:
    try:
        with open(os.path.join(directory, IDENTITY_FILE), "rb") as f:
            return bytes.fromhex(json.loads(f.read())["ledger_id"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        raise LedgerCorruption(f"{IDENTITY_FILE} is unreadable") from None


class LedgerReader:
    """Read-only queries over a ledger directory (safe alongside running writers)."""

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        observer: LedgerObserver | None = None,
        on_corruption: Callable[[LedgerCorruption], None] | None = None,
    ):
        self.directory = os.path.abspath(os.fspath(directory))
        self.ledger_id = read_ledger_id(self.directory)
        self.observer = observer or LedgerObserver()
        self.on_corruption = on_corruption

    def partitions(self) -> list[str]:
        """Partition names in date order, each ``-late`` right after its date."""
        return list_partitions(self.directory)

    def segments(self, partition: str) -> list[int]:
        return list_segments(os.path.join(self.directory, partition))

    # --- the one primitive ----------------------------------------------------------------

    def read_segment(self, partition: str, number: int, *, start: int = HEADER_SIZE) -> Iterator[StoredRecord]:
        """Records of one segment in seq order, from byte offset ``start``."""
        pdir = os.path.join(self.directory, partition)
        with open(os.path.join(pdir, _segment_name(number)), "rb") as f:
            header = read_header(f, partition=partition, segment=number, ledger_id=self.ledger_id)
            end = os.fstat(f.fileno()).st_size
            last_seq = None if start == HEADER_SIZE else -1
            items = scan_frames(
                f,
                start=start,
                end=end,
                first_seq=header.first_seq,
                max_record_bytes=header.max_record_bytes,
                last_seq=last_seq,
            )
            for item in items:
                if isinstance(item, Frame):
                    record = decode_body(item.body)
                    yield StoredRecord(Position(partition, number, item.offset, item.seq), record)
                elif isinstance(item, Gap):
                    self._report(pdir, partition, number, item)
                elif isinstance(item, Tail) and self._tail_is_damage(pdir, number):
                    self._report(pdir, partition, number, Gap(item.offset, item.length, None, -1))

    def _tail_is_damage(self, pdir: str, number: int) -> bool:
        # The last segment of an open partition may be mid-write or awaiting recovery.
        numbers = list_segments(pdir)
        return read_manifest(pdir) is not None or (bool(numbers) and number != numbers[-1])

    def _report(self, pdir: str, partition: str, number: int, gap: Gap) -> None:
        exc = report_gap(pdir, partition, number, gap, self.observer, source="reader")
        if self.on_corruption is not None:
            self.on_corruption(exc)

    # --- queries --------------------------------------------------------------------------

    def read_partition(self, partition: str) -> Iterator[StoredRecord]:
        """Every record of one partition (exactly that one: ``-late`` is its own), in seq order."""
        partition_date(partition)
        for number in self.segments(partition):
            yield from self.read_segment(partition, number)

    def read_at(self, position: Position) -> StoredRecord | None:
        """The record at ``position``, or None if no valid record with that seq is there."""
        for stored in self.read_segment(position.partition, position.segment, start=position.offset):
            return stored if stored.seq == position.seq else None
        return None

    def read_seq_range(self, first: int, last: int) -> Iterator[StoredRecord]:
        """Records with ``first <= seq <= last`` across all partitions, in seq order."""
        streams = [self._partition_seq_range(name, first, last) for name in self.partitions()]
        yield from heapq.merge(*streams, key=lambda stored: stored.seq)

    def _partition_seq_range(self, partition: str, first: int, last: int) -> Iterator[StoredRecord]:
        pdir = os.path.join(self.directory, partition)
        manifest = read_manifest(pdir)
        if manifest is not None and (
            manifest.last_seq is None or manifest.last_seq < first or (manifest.first_seq or 0) > last
        ):
            return
        numbers = self.segments(partition)
        firsts = [self._first_seq(pdir, partition, n) for n in numbers]
        for i, number in enumerate(numbers):
            next_first = firsts[i + 1] if i + 1 < len(firsts) else None
            if (next_first is not None and next_first <= first) or firsts[i] > last:
                continue  # every seq of this segment is below ``first`` or above ``last``
            for stored in self.read_segment(partition, number):
                if stored.seq > last:
                    return
                if stored.seq >= first:
                    yield stored

    def _first_seq(self, pdir: str, partition: str, number: int) -> int:
        with open(os.path.join(pdir, _segment_name(number)), "rb") as f:
            return read_header(f, partition=partition, segment=number, ledger_id=self.ledger_id).first_seq

    def read_time_range(self, start: datetime, end: datetime) -> Iterator[StoredRecord]:
        """Records with ``start <= emitted_at < end``, partition by partition, each once.

        A date's ``-late`` partition holds records of that same date, so it is read right
        after the date's own partition and nothing is read twice.
        """
        if end <= start:
            return
        first_day = start.astimezone(UTC).date()
        last_day = (end - timedelta(microseconds=1)).astimezone(UTC).date()
        for name in self.partitions():
            if first_day <= partition_date(name) <= last_day:
                for stored in self.read_partition(name):
                    if start <= stored.record.emitted_at < end:
                        yield stored
