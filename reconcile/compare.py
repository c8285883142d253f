"""What the ledger holds for one date against what RiskCast has processed.

RiskCast files a signal under the UTC date of its ``emitted_at`` (``partition_of``), so the
ledger's ``<date>`` and ``<date>-late`` partitions together are compared with RiskCast's
``<date>``. Two steps: ``ledger_digest`` streams only the ledger's ids into the same
order-independent digest RiskCast reports, which settles a matching date without listing a single
RiskCast id; ``full_compare`` runs only when the digests differ, takes RiskCast's ids first and
the ledger second (a signal is in the ledger before RiskCast can have it, so an id RiskCast
returns is never mistaken for an extra), and yields the exact missing set.

A segment range the reader cannot decode is recorded in ``unknown``: its signals are neither
missing nor present as far as reconcile knows, and a run that met one never counts as completed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ledger.core import LedgerCorruption, LedgerReader, Position, StoredRecord
from omenproject.signals import payload_hash
from reconcile.digest import format_digest, id_term

SAMPLE = 20  # ids kept per kind of discrepancy in a run's details


@dataclass(frozen=True)
class Missing:
    seq: int
    position: Position


@dataclass
class LedgerDigest:
    count: int = 0
    digest: str = format_digest(0)
    unknown: list[dict] = field(default_factory=list)


@dataclass
class Comparison:
    ledger_count: int = 0
    remote_count: int = 0
    missing: list[Missing] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)


def _unknown_entry(exc: LedgerCorruption) -> dict:
    return {
        "partition": exc.partition,
        "segment": exc.segment,
        "offset": exc.offset,
        "length": getattr(exc, "length", None),
        "seq_before": getattr(exc, "seq_before", None),
        "seq_after": getattr(exc, "seq_after", None),
        "error": str(exc)[:300],
    }


class LedgerScan:
    """Stream the records of some partitions, collecting every unreadable range met."""

    def __init__(self, reader_factory):
        self.unknown: list[dict] = []
        self.reader: LedgerReader = reader_factory(on_corruption=lambda exc: self.unknown.append(_unknown_entry(exc)))

    def records(self, partitions: Iterable[str]) -> Iterator[StoredRecord]:
        for partition in partitions:
            for number in self.reader.segments(partition):
                try:
                    yield from self.reader.read_segment(partition, number)
                except LedgerCorruption as exc:  # an unreadable header: the whole segment is unknown
                    self.unknown.append(_unknown_entry(exc))


def ledger_digest(scan: LedgerScan, partitions: Iterable[str]) -> LedgerDigest:
    """Count and digest of the distinct ids readable in ``partitions``."""
    seen: set[str] = set()
    total = 0
    for stored in scan.records(partitions):
        if stored.signal_id not in seen:
            seen.add(stored.signal_id)
            total += id_term(stored.signal_id)
    return LedgerDigest(count=len(seen), digest=format_digest(total), unknown=list(scan.unknown))


def full_compare(scan: LedgerScan, partitions: Iterable[str], remote: Iterable[tuple[str, str]]) -> Comparison:
    """The exact missing set (in seq order), RiskCast's extras and payload mismatches."""
    stored_hashes = dict(remote)  # fetched before the ledger is read: see the module docstring
    result = Comparison(remote_count=len(stored_hashes))
    seen: set[str] = set()
    for stored in scan.records(partitions):
        sid = stored.signal_id
        if sid in seen:
            continue
        seen.add(sid)
        theirs = stored_hashes.pop(sid, None)
        if theirs is None:
            result.missing.append(Missing(stored.seq, stored.position))
        elif theirs != payload_hash(json.loads(stored.record.payload)):
            result.mismatched.append(sid)
    result.ledger_count = len(seen)
    result.extras = sorted(stored_hashes)
    result.missing.sort(key=lambda m: m.seq)
    result.unknown = list(scan.unknown)
    return result
