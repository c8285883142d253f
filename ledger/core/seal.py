"""Sealing, verifying and measuring partitions.

A seal freezes a partition: under the process lock its active segment is repaired, every
frame is checked, and a manifest (record count, first/last seq, per-segment size, count and
SHA-256) is written atomically. From then on appends to that date go to ``<date>-late``;
a sealed ``-late`` partition refuses them.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ledger.core.errors import LedgerCorruption, LedgerError, UnknownPartition
from ledger.core.framing import HEADER_SIZE
from ledger.core.metadata import (
    Manifest,
    SegmentSummary,
    is_late,
    list_partitions,
    partition_date,
    read_manifest,
    write_manifest,
)
from ledger.core.recovery import report_gap
from ledger.core.segment import Frame, Gap, Tail, list_segments, read_header, scan_frames, segment_name
from ledger.core.writer import Ledger

logger = logging.getLogger("omen.ledger")


class SealNotDue(LedgerError):
    """The partition's day (plus the grace period) has not ended yet."""


@dataclass
class SealResult:
    partition: str
    manifest: Manifest
    already_sealed: bool
    dry_run: bool = False


@dataclass
class SegmentCheck:
    summary: SegmentSummary
    gaps: list[Gap] = field(default_factory=list)
    tail: Tail | None = None


def check_segment(
    ledger: Ledger, partition: str, number: int, *, end: int | None = None, last_seq: int | None = None
) -> SegmentCheck:
    """Read every frame of one segment, hashing the file as it goes (constant memory)."""
    pdir = os.path.join(ledger.directory, partition)
    with open(os.path.join(pdir, segment_name(number)), "rb") as f:
        header = read_header(f, partition=partition, segment=number, ledger_id=ledger.ledger_id)
        size = os.fstat(f.fileno()).st_size if end is None else end
        check = SegmentCheck(SegmentSummary(number, size, 0, None, None, ""))
        if last_seq is not None and header.first_seq <= last_seq:
            raise LedgerCorruption(
                f"segment {partition}/{segment_name(number)} starts at seq {header.first_seq}, not after {last_seq}",
                partition=partition,
                segment=number,
                offset=0,
            )
        for item in scan_frames(
            f, start=HEADER_SIZE, end=size, first_seq=header.first_seq, max_record_bytes=header.max_record_bytes
        ):
            if isinstance(item, Frame):
                s = check.summary
                s.records += 1
                s.first_seq = item.seq if s.first_seq is None else s.first_seq
                s.last_seq = item.seq
            elif isinstance(item, Gap):
                check.gaps.append(item)
            else:
                check.tail = item
        digest = hashlib.sha256()
        f.seek(0)
        remaining = size
        while remaining > 0:
            chunk = f.read(min(1 << 20, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
        check.summary.sha256 = digest.hexdigest()
    return check


def seal_due(partition: str, now: datetime, grace: timedelta) -> bool:
    day = partition_date(partition)
    day_end = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo) + timedelta(days=1)
    return now >= day_end + grace


def partitions_due(ledger: Ledger, grace: timedelta) -> list[str]:
    """Main partitions whose day ended more than ``grace`` ago and are not sealed yet.

    ``-late`` partitions are sealed only on request: sealing one closes its date for good.
    """
    now = ledger.clock()
    return [
        name
        for name in list_partitions(ledger.directory)
        if not is_late(name)
        and seal_due(name, now, grace)
        and read_manifest(os.path.join(ledger.directory, name)) is None
    ]


def seal_partition(
    ledger: Ledger, partition: str, *, grace: timedelta, force: bool = False, dry_run: bool = False
) -> SealResult:
    """Seal ``partition`` (a no-op returning the manifest if it is already sealed)."""
    partition_date(partition)
    pdir = os.path.join(ledger.directory, partition)
    if not os.path.isdir(pdir):
        raise UnknownPartition(f"partition {partition} does not exist")
    with ledger.locked():
        existing = read_manifest(pdir)
        if existing is not None:
            return SealResult(partition, existing, already_sealed=True, dry_run=dry_run)
        if not force and not is_late(partition) and not seal_due(partition, ledger.clock(), grace):
            raise SealNotDue(f"partition {partition} is not due for sealing yet (day end + {grace})")
        ledger.refresh_partition(partition)  # truncates a torn tail before it is hashed
        summaries, corruptions, last_seq = [], [], None
        for number in list_segments(pdir):
            check = check_segment(ledger, partition, number, last_seq=last_seq)
            for gap in check.gaps:
                exc = report_gap(pdir, partition, number, gap, ledger.observer, source="seal")
                corruptions.append({"segment": number, "offset": exc.offset, "length": exc.length})
            summaries.append(check.summary)
            last_seq = check.summary.last_seq if check.summary.last_seq is not None else last_seq
        firsts = [s.first_seq for s in summaries if s.first_seq is not None]
        manifest = Manifest(
            partition=partition,
            records=sum(s.records for s in summaries),
            first_seq=min(firsts) if firsts else None,
            last_seq=last_seq,
            segments=summaries,
            sealed_at=ledger.clock().isoformat().replace("+00:00", "Z"),
            corruptions=corruptions,
        )
        if dry_run:
            return SealResult(partition, manifest, already_sealed=False, dry_run=True)
        ledger.forget_partition(partition)
        write_manifest(pdir, manifest)
    logger.info(
        "ledger partition sealed",
        extra={
            "partition": partition,
            "records": manifest.records,
            "first_seq": manifest.first_seq,
            "last_seq": manifest.last_seq,
        },
    )
    return SealResult(partition, manifest, already_sealed=False)


@dataclass
class VerifyReport:
    partitions: int = 0
    segments: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(ledger: Ledger, partition: str | None = None) -> VerifyReport:
    """Check every frame, header and manifest; each finding becomes one line in ``problems``."""
    names = [partition] if partition else list_partitions(ledger.directory)
    report = VerifyReport()
    for name in names:
        partition_date(name)
        pdir = os.path.join(ledger.directory, name)
        if not os.path.isdir(pdir):
            raise UnknownPartition(f"partition {name} does not exist")
        report.partitions += 1
        with ledger.locked():  # a consistent snapshot of sizes: no frame is half-written now
            numbers = list_segments(pdir)
            sizes = {n: os.path.getsize(os.path.join(pdir, segment_name(n))) for n in numbers}
        _verify_partition(ledger, name, pdir, numbers, sizes=sizes, report=report)
    return report


def _verify_partition(
    ledger: Ledger, name: str, pdir: str, numbers: list[int], *, sizes: dict[int, int], report: VerifyReport
) -> None:
    manifest = read_manifest(pdir)
    checks: list[SegmentCheck] = []
    last_seq = None
    for number in numbers:
        report.segments += 1
        try:
            check = check_segment(ledger, name, number, end=sizes[number], last_seq=last_seq)
        except LedgerCorruption as exc:
            report.problems.append(f"{name}/{segment_name(number)}: {exc}")
            continue
        checks.append(check)
        report.records += check.summary.records
        last_seq = check.summary.last_seq if check.summary.last_seq is not None else last_seq
        for gap in check.gaps:
            report_gap(pdir, name, number, gap, ledger.observer, source="verify")
            report.problems.append(
                f"{name}/{segment_name(number)}: corrupt range at offset {gap.offset} ({gap.length} bytes) "
                f"between seq {gap.seq_before} and {gap.seq_after}"
            )
        if check.tail is not None:
            report.problems.append(
                f"{name}/{segment_name(number)}: torn tail of {check.tail.length} bytes at offset {check.tail.offset}"
            )
    if manifest is not None:
        _compare_manifest(name, manifest, [c.summary for c in checks], report)


def _compare_manifest(name: str, manifest: Manifest, found: list[SegmentSummary], report: VerifyReport) -> None:
    expected = {s.segment: s for s in manifest.segments}
    actual = {s.segment: s for s in found}
    for number in sorted(set(expected) | set(actual)):
        want, got = expected.get(number), actual.get(number)
        if want is None:
            report.problems.append(f"{name}/{segment_name(number)}: segment not in the seal manifest")
        elif got is None:
            report.problems.append(f"{name}/{segment_name(number)}: segment in the manifest is missing or unreadable")
        elif (want.sha256, want.bytes, want.records) != (got.sha256, got.bytes, got.records):
            report.problems.append(f"{name}/{segment_name(number)}: does not match its seal manifest (SHA-256)")
    if sum(s.records for s in found) != manifest.records:
        report.problems.append(f"{name}: {sum(s.records for s in found)} records, manifest says {manifest.records}")
