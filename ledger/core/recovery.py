"""Bringing a partition's active segment to a known-good end, under the process lock.

Run on open and whenever a writer finds a segment longer than it last left it (another
process appended, or died in the middle of a write). A torn tail is truncated and counted;
a bad range followed by valid frames is corruption: reported and quarantined, never
truncated.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from ledger.core import fsutil
from ledger.core.errors import LedgerCorruption
from ledger.core.framing import HEADER_SIZE
from ledger.core.metadata import add_quarantine, current_inode, read_current, read_quarantine, write_current
from ledger.core.observer import LedgerObserver
from ledger.core.segment import Frame, Gap, Tail, list_segments, read_header, scan_frames, segment_name

logger = logging.getLogger("omen.ledger")
_MAX_QUARANTINE_COPY = 4 * 1024 * 1024


@dataclass
class ActiveSegment:
    """A writer's view of the segment it appends to."""

    partition: str
    directory: str
    segment: int
    fd: int
    end: int  # offset just past the last valid frame
    records: int
    first_seq: int
    last_seq: int  # of the last valid frame (first_seq - 1 when empty)
    max_record_bytes: int
    current_ino: int | None

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def report_gap(
    partition_dir: str, partition: str, segment: int, gap: Gap, observer: LedgerObserver, *, source: str
) -> LedgerCorruption:
    """Log, count and quarantine a corrupt range; the segment bytes are left as they are."""
    exc = LedgerCorruption(
        f"corrupt range in {partition}/{segment_name(segment)} at offset {gap.offset} ({gap.length} bytes) "
        f"between seq {gap.seq_before} and {gap.seq_after}",
        partition=partition,
        segment=segment,
        offset=gap.offset,
        length=gap.length,
        seq_before=gap.seq_before,
        seq_after=gap.seq_after,
    )
    known = any(e["segment"] == segment and e["offset"] == gap.offset for e in read_quarantine(partition_dir))
    if not known:
        with open(os.path.join(partition_dir, segment_name(segment)), "rb") as f:
            f.seek(gap.offset)
            raw = f.read(min(gap.length, _MAX_QUARANTINE_COPY))
        try:
            add_quarantine(partition_dir, exc, raw)
        except OSError as error:
            # Readers record without the writers' lock; a concurrent open may sweep the temp
            # file. The range is found again on the next read, so only the record is lost.
            logger.warning("could not record a quarantined range", extra={"error": str(error)})
        observer.corruption_found(exc, source)
        logger.error(
            "ledger corruption quarantined",
            extra={
                "partition": partition,
                "segment": segment,
                "offset": gap.offset,
                "length": gap.length,
                "seq_before": gap.seq_before,
                "seq_after": gap.seq_after,
                "source": source,
            },
        )
    return exc


def scan_to_end(active: ActiveSegment, start: int, last_seq: int, observer: LedgerObserver) -> None:
    """Advance ``active`` over valid frames from ``start``; truncate a torn tail."""
    path = os.path.join(active.directory, segment_name(active.segment))
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        items = scan_frames(
            f,
            start=start,
            end=size,
            first_seq=active.first_seq,
            max_record_bytes=active.max_record_bytes,
            last_seq=last_seq,
        )
        for item in items:
            if isinstance(item, Frame):
                active.end = item.end
                active.records += 1
                active.last_seq = item.seq
            elif isinstance(item, Gap):
                report_gap(active.directory, active.partition, active.segment, item, observer, source="recovery")
            elif isinstance(item, Tail):
                truncate_tail(active, item, observer)


def truncate_tail(active: ActiveSegment, tail: Tail, observer: LedgerObserver) -> None:
    os.ftruncate(active.fd, tail.offset)
    fsutil.fsync(active.fd)
    observer.torn_tail_truncated(active.partition, active.segment, tail.offset, tail.length)
    logger.warning(
        "ledger torn tail truncated",
        extra={
            "partition": active.partition,
            "segment": active.segment,
            "offset": tail.offset,
            "length": tail.length,
            "last_seq": active.last_seq,
        },
    )


def load_active(ledger_dir: str, partition: str, *, ledger_id: bytes, observer: LedgerObserver) -> ActiveSegment | None:
    """Open the last segment of ``partition`` for appending, repairing its tail; None if empty."""
    pdir = os.path.join(ledger_dir, partition)
    numbers = list_segments(pdir)
    if not numbers:
        return None
    number = numbers[-1]
    path = os.path.join(pdir, segment_name(number))
    with open(path, "rb") as f:
        header = read_header(f, partition=partition, segment=number, ledger_id=ledger_id)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    active = ActiveSegment(
        partition=partition,
        directory=pdir,
        segment=number,
        fd=fd,
        end=HEADER_SIZE,
        records=0,
        first_seq=header.first_seq,
        last_seq=header.first_seq - 1,
        max_record_bytes=header.max_record_bytes,
        current_ino=None,
    )
    try:
        scan_to_end(active, HEADER_SIZE, active.last_seq, observer)
        ino = current_inode(pdir)
        if ino is None or read_current(pdir) != number:
            # CURRENT lags after a crash between creating a segment and renaming CURRENT.
            write_current(pdir, number)
            ino = current_inode(pdir)
        active.current_ino = ino
    except BaseException:
        active.close()
        raise
    return active


def catch_up(active: ActiveSegment, observer: LedgerObserver) -> None:
    """The file grew or shrank behind this writer's back: rescan from the last known end."""
    size = os.fstat(active.fd).st_size
    if size < active.end:
        raise LedgerCorruption(
            f"segment {active.partition}/{segment_name(active.segment)} shrank to {size} bytes below its "
            f"last valid frame end {active.end}",
            partition=active.partition,
            segment=active.segment,
            offset=size,
        )
    scan_to_end(active, active.end, active.last_seq, observer)
