"""Small metadata files: ledger identity, current segment, seal manifest, quarantine list.

All are JSON written with ``fsutil.atomic_write`` (temp, fsync, rename, dir fsync), so each
is either the old or the new version after any crash. Partition names live here too.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from ledger.core import fsutil
from ledger.core.errors import LedgerCorruption, UnknownPartition, UnsupportedFormat

IDENTITY_FILE = "LEDGER.json"
CURRENT_FILE = "CURRENT.json"
MANIFEST_FILE = "MANIFEST.json"
QUARANTINE_FILE = "QUARANTINE.json"
QUARANTINE_DIR = "quarantine"
LATE_SUFFIX = "-late"
PARTITION_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(-late)?$")


def partition_for(moment: datetime) -> str:
    """The main partition of a timestamp: its UTC date."""
    return moment.astimezone(UTC).date().isoformat()


def late_partition(main: str) -> str:
    return main + LATE_SUFFIX


def partition_date(name: str) -> date:
    """The date a partition covers; ``UnknownPartition`` for anything else."""
    match = PARTITION_RE.match(name)
    if not match:
        raise UnknownPartition(f"{name!r} is not a partition name (YYYY-MM-DD or YYYY-MM-DD-late)")
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise UnknownPartition(f"{name!r} is not a valid date") from None


def is_late(name: str) -> bool:
    return name.endswith(LATE_SUFFIX)


def list_partitions(ledger_dir: str) -> list[str]:
    """Partition directories, in date order with each ``-late`` right after its date."""
    try:
        names = [n for n in os.listdir(ledger_dir) if PARTITION_RE.match(n)]
    except FileNotFoundError:
        return []
    return sorted(names, key=lambda n: (n[:10], is_late(n)))


def _read_json(path: str) -> dict | None:
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read())
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError):
        raise LedgerCorruption(f"metadata file {path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise LedgerCorruption(f"metadata file {path} is not a JSON object")
    return data


def _write_json(path: str, data: dict) -> None:
    fsutil.atomic_write(path, json.dumps(data, indent=2, sort_keys=True).encode() + b"\n")


# --- identity -----------------------------------------------------------------------------


def load_or_create_identity(ledger_dir: str, node_id: str) -> bytes:
    """The 16-byte id stamped into every segment of this ledger (created on first open)."""
    path = os.path.join(ledger_dir, IDENTITY_FILE)
    data = _read_json(path)
    if data is None:
        data = {
            "format": 1,
            "ledger_id": secrets.token_hex(16),
            "node_id": node_id,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        _write_json(path, data)
    if data.get("format") != 1:
        raise UnsupportedFormat(f"ledger identity format {data.get('format')!r} is not supported")
    try:
        ledger_id = bytes.fromhex(data["ledger_id"])
    except (KeyError, ValueError, TypeError):
        raise LedgerCorruption(f"{path} has no valid ledger_id") from None
    if len(ledger_id) != 16:
        raise LedgerCorruption(f"{path} has no valid ledger_id")
    return ledger_id


# --- current segment ----------------------------------------------------------------------


def write_current(partition_dir: str, segment: int) -> None:
    _write_json(os.path.join(partition_dir, CURRENT_FILE), {"segment": segment})


def read_current(partition_dir: str) -> int | None:
    """The segment CURRENT points at; None when missing or unreadable (it is then rewritten)."""
    try:
        return int(_read_json(os.path.join(partition_dir, CURRENT_FILE))["segment"])
    except (LedgerCorruption, TypeError, KeyError, ValueError):
        return None


def current_inode(partition_dir: str) -> int | None:
    """Changes whenever another process rolls the partition to a new segment (rename)."""
    try:
        return os.stat(os.path.join(partition_dir, CURRENT_FILE)).st_ino
    except FileNotFoundError:
        return None


# --- seal manifest ------------------------------------------------------------------------


@dataclass
class SegmentSummary:
    segment: int
    bytes: int
    records: int
    first_seq: int | None
    last_seq: int | None
    sha256: str


@dataclass
class Manifest:
    partition: str
    records: int
    first_seq: int | None
    last_seq: int | None
    segments: list[SegmentSummary]
    sealed_at: str
    corruptions: list[dict] = field(default_factory=list)
    format: int = 1

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        try:
            segments = [SegmentSummary(**s) for s in data["segments"]]
            return cls(
                partition=data["partition"],
                records=int(data["records"]),
                first_seq=data["first_seq"],
                last_seq=data["last_seq"],
                segments=segments,
                sealed_at=data["sealed_at"],
                corruptions=list(data.get("corruptions", [])),
                format=int(data.get("format", 1)),
            )
        except (KeyError, TypeError, ValueError):
            raise LedgerCorruption(f"manifest of {data.get('partition')!r} is malformed") from None


def manifest_path(partition_dir: str) -> str:
    return os.path.join(partition_dir, MANIFEST_FILE)


def is_sealed(partition_dir: str) -> bool:
    return os.path.exists(manifest_path(partition_dir))


def read_manifest(partition_dir: str) -> Manifest | None:
    data = _read_json(manifest_path(partition_dir))
    return None if data is None else Manifest.from_json(data)


def write_manifest(partition_dir: str, manifest: Manifest) -> None:
    _write_json(manifest_path(partition_dir), manifest.to_json())


# --- quarantine ---------------------------------------------------------------------------


def read_quarantine(partition_dir: str) -> list[dict]:
    data = _read_json(os.path.join(partition_dir, QUARANTINE_FILE))
    return [] if data is None else list(data.get("entries", []))


def add_quarantine(partition_dir: str, exc: LedgerCorruption, raw: bytes) -> bool:
    """Record a corrupt byte range and keep a copy of its bytes; False if already known.

    The segment itself is left untouched: the copy and the list are for the operator, and
    readers skip the range by finding the next valid frame.
    """
    entries = read_quarantine(partition_dir)
    if any(e["segment"] == exc.segment and e["offset"] == exc.offset for e in entries):
        return False
    qdir = os.path.join(partition_dir, QUARANTINE_DIR)
    fsutil.makedirs_durable(qdir)
    copy_name = f"{exc.segment:08d}-{exc.offset}.bin"
    fsutil.atomic_write(os.path.join(qdir, copy_name), raw)
    entries.append(
        {
            "segment": exc.segment,
            "offset": exc.offset,
            "length": exc.length,
            "seq_before": exc.seq_before,
            "seq_after": exc.seq_after,
            "reason": str(exc),
            "copy": f"{QUARANTINE_DIR}/{copy_name}",
            "detected_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
    )
    _write_json(os.path.join(partition_dir, QUARANTINE_FILE), {"entries": entries})
    return True
