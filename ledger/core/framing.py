"""The bytes of a segment: header and record frames (see docs/ledger-format.md).

Segment header, 64 bytes, little-endian::

    magic "OMENLSEG" | version u16 | header_len u16 | segment u32 | first_seq u64 |
    max_record_bytes u32 | ledger_id 16 B | partition 16 B (ASCII, NUL-padded) | crc32 u32

Record frame::

    length u32 | seq u64 | crc32 u32 | body (length bytes)

where ``crc32`` covers the length and seq fields and the body, and the body is::

    emitted_at_us i64 | signal_id_len u16 | trace_id_len u16 | signal_id | trace_id | payload
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from ledger.core.errors import InvalidRecord, LedgerCorruption, RecordTooLarge, UnsupportedFormat

MAGIC = b"OMENLSEG"
FORMAT_VERSION = 1
HEADER = struct.Struct("<8sHHIQI16s16s")
HEADER_SIZE = HEADER.size + 4  # + crc32
FRAME = struct.Struct("<IQI")
FRAME_HEADER_SIZE = FRAME.size
_LEN_SEQ = struct.Struct("<IQ")
BODY = struct.Struct("<qHH")
MIN_BODY = BODY.size + 1  # a signal_id is never empty
# Whatever a segment header claims, no reader allocates more than this for one record.
HARD_MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_ID_BYTES = 255

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """What a producer asks the ledger to store."""

    signal_id: str
    emitted_at: datetime  # timezone-aware; stored as UTC microseconds
    payload: bytes
    trace_id: str = ""


class Position(NamedTuple):
    """Where a record lives: its partition, segment number, byte offset and ledger-wide seq."""

    partition: str
    segment: int
    offset: int
    seq: int


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record read back from the ledger, with its position."""

    position: Position
    record: LedgerRecord

    @property
    def seq(self) -> int:
        return self.position.seq

    @property
    def signal_id(self) -> str:
        return self.record.signal_id


@dataclass(frozen=True, slots=True)
class SegmentHeader:
    segment: int
    first_seq: int
    max_record_bytes: int
    ledger_id: bytes
    partition: str


def encode_header(header: SegmentHeader) -> bytes:
    fixed = HEADER.pack(
        MAGIC,
        FORMAT_VERSION,
        HEADER_SIZE,
        header.segment,
        header.first_seq,
        header.max_record_bytes,
        header.ledger_id,
        header.partition.encode("ascii"),
    )
    return fixed + struct.pack("<I", zlib.crc32(fixed))


def decode_header(data: bytes) -> SegmentHeader:
    """Parse a segment header; raise ``LedgerCorruption`` or ``UnsupportedFormat``."""
    if len(data) < HEADER_SIZE:
        raise LedgerCorruption(f"segment header is {len(data)} bytes, expected {HEADER_SIZE}", offset=0)
    magic, version, header_len, segment, first_seq, max_record, ledger_id, partition = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise LedgerCorruption("not a ledger segment (bad magic)", offset=0)
    if version != FORMAT_VERSION or header_len != HEADER_SIZE:
        raise UnsupportedFormat(f"segment format version {version} is not supported", offset=0)
    (crc,) = struct.unpack_from("<I", data, HEADER.size)
    if crc != zlib.crc32(data[: HEADER.size]):
        raise LedgerCorruption("segment header checksum mismatch", offset=0)
    try:
        name = partition.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        raise LedgerCorruption("segment header partition is not ASCII", offset=0) from None
    return SegmentHeader(segment, first_seq, max_record, ledger_id, name)


def body_size(record: LedgerRecord) -> int:
    """The encoded size of ``record``'s body, computed without building it."""
    return BODY.size + len(record.signal_id.encode()) + len(record.trace_id.encode()) + len(record.payload)


def encode_frame(seq: int, body: bytes) -> bytes:
    return frame_header(seq, body) + body


_CRC = struct.Struct("<I")


def frame_header(seq: int, body: bytes) -> bytes:
    """The 16 bytes before ``body`` (kept apart so a batch is joined without copying twice)."""
    len_seq = _LEN_SEQ.pack(len(body), seq)
    return len_seq + _CRC.pack(zlib.crc32(body, zlib.crc32(len_seq)))


def encode_body(record: LedgerRecord, max_record_bytes: int) -> bytes:
    """The frame body of ``record``; its size is checked before the body is built."""
    sid = record.signal_id.encode()
    trace = record.trace_id.encode()
    if not sid or len(sid) > MAX_ID_BYTES or len(trace) > MAX_ID_BYTES:
        raise InvalidRecord(f"signal_id must be 1..{MAX_ID_BYTES} bytes and trace_id at most {MAX_ID_BYTES}")
    size = BODY.size + len(sid) + len(trace) + len(record.payload)
    if size > max_record_bytes:
        raise RecordTooLarge(f"record of {size} bytes exceeds the maximum of {max_record_bytes}")
    emitted = record.emitted_at
    if emitted.tzinfo is None or emitted.utcoffset() is None:
        raise InvalidRecord("emitted_at must be timezone-aware")
    micros = (emitted - _EPOCH) // _ONE_US
    return BODY.pack(micros, len(sid), len(trace)) + sid + trace + bytes(record.payload)


def frame_checksum_ok(length: int, seq: int, crc: int, body: bytes) -> bool:
    return zlib.crc32(body, zlib.crc32(_LEN_SEQ.pack(length, seq))) == crc


def decode_body(body: bytes) -> LedgerRecord:
    """Rebuild a record from a checksum-verified body; ``LedgerCorruption`` if inconsistent."""
    if len(body) < MIN_BODY:
        raise LedgerCorruption(f"record body of {len(body)} bytes is too short")
    micros, sid_len, trace_len = BODY.unpack_from(body)
    start = BODY.size
    if sid_len == 0 or start + sid_len + trace_len > len(body):
        raise LedgerCorruption("record body lengths are inconsistent")
    try:
        sid = body[start : start + sid_len].decode()
        trace = body[start + sid_len : start + sid_len + trace_len].decode()
        emitted = _EPOCH + micros * _ONE_US
    except (UnicodeDecodeError, OverflowError):
        raise LedgerCorruption("record body does not decode") from None
    return LedgerRecord(sid, emitted, body[start + sid_len + trace_len :], trace)


def utc_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_US


_DAY_US = 86_400 * 1_000_000


@lru_cache(maxsize=64)
def _day_name(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).date().isoformat()


def day_partition(body: bytes) -> str:
    """The main partition (UTC date) of an encoded body, cheaply: bodies start with the time."""
    return _day_name(BODY.unpack_from(body)[0] // _DAY_US)
