"""Segment files: naming, creation and the frame scanner every reader and recovery uses.

The scanner walks frames from an offset and yields three kinds of item:

- ``Frame``: a record whose length is sane, whose checksum matches and whose seq is higher
  than the one before it;
- ``Gap``: bytes that are not a valid frame but are *followed* by a valid frame. That is
  corruption in the middle of a segment: reported and skipped, never truncated;
- ``Tail``: bytes at the end with no valid frame after them: a torn write.

Finding the next valid frame after bad bytes means trying every byte offset; the length
field is checked against the maximum record size before anything is read, so a bogus
length (0, 0xFFFFFFFF ...) costs nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ledger.core import fsutil
from ledger.core.errors import ForeignSegment, LedgerCorruption
from ledger.core.framing import (
    FRAME,
    FRAME_HEADER_SIZE,
    HARD_MAX_RECORD_BYTES,
    HEADER_SIZE,
    MIN_BODY,
    SegmentHeader,
    decode_header,
    encode_header,
    frame_checksum_ok,
)

SEGMENT_RE = re.compile(r"^(\d{8})\.seg$")
_WINDOW = 256 * 1024


def segment_name(number: int) -> str:
    return f"{number:08d}.seg"


def list_segments(partition_dir: str) -> list[int]:
    """Segment numbers present in a partition directory, ascending."""
    try:
        names = os.listdir(partition_dir)
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for m in map(SEGMENT_RE.match, names) if m)


@dataclass(frozen=True, slots=True)
class Frame:
    offset: int
    seq: int
    body: bytes

    @property
    def end(self) -> int:
        return self.offset + FRAME_HEADER_SIZE + len(self.body)


@dataclass(frozen=True, slots=True)
class Gap:
    offset: int
    length: int
    seq_before: int | None
    seq_after: int


@dataclass(frozen=True, slots=True)
class Tail:
    offset: int
    length: int


def create_segment(partition_dir: str, header: SegmentHeader) -> str:
    """Create a segment holding only its header, durably: temp, fsync, rename, dir fsync."""
    path = os.path.join(partition_dir, segment_name(header.segment))
    tmp = path + fsutil.TMP_SUFFIX
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        fsutil.write_all(fd, encode_header(header))
        fsutil.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    fsutil.fsync_dir(partition_dir)
    return path


def read_header(f: BinaryIO, *, partition: str, segment: int, ledger_id: bytes | None) -> SegmentHeader:
    """Read and check a segment's header against where it was found."""
    f.seek(0)
    try:
        header = decode_header(f.read(HEADER_SIZE))
    except LedgerCorruption as exc:
        exc.partition, exc.segment = partition, segment
        raise
    problem = None
    if ledger_id is not None and header.ledger_id != ledger_id:
        problem = "belongs to another ledger"
    elif header.partition != partition:
        problem = f"belongs to partition {header.partition!r}"
    elif header.segment != segment:
        problem = f"claims to be segment {header.segment}"
    if problem:
        raise ForeignSegment(
            f"segment {partition}/{segment_name(segment)} {problem}", partition=partition, segment=segment, offset=0
        )
    return header


def _frame_at(f: BinaryIO, offset: int, end: int, max_len: int, last_seq: int) -> Frame | None:
    f.seek(offset)
    raw = f.read(FRAME_HEADER_SIZE)
    if len(raw) < FRAME_HEADER_SIZE:
        return None
    length, seq, crc = FRAME.unpack(raw)
    # Everything about the length is checked before the body is read (or allocated).
    if length < MIN_BODY or length > max_len or offset + FRAME_HEADER_SIZE + length > end or seq <= last_seq:
        return None
    body = f.read(length)
    if len(body) != length or not frame_checksum_ok(length, seq, crc, body):
        return None
    return Frame(offset, seq, body)


def _find_next_frame(f: BinaryIO, start: int, end: int, max_len: int, last_seq: int) -> Frame | None:
    """The first valid frame at an offset >= ``start``, trying each byte offset in turn."""
    window_start = start
    while window_start + FRAME_HEADER_SIZE <= end:
        f.seek(window_start)
        buf = f.read(min(_WINDOW + FRAME_HEADER_SIZE, end - window_start))
        limit = len(buf) - FRAME_HEADER_SIZE
        unpack = FRAME.unpack_from
        for i in range(min(limit + 1, _WINDOW)):
            length, seq, _crc = unpack(buf, i)
            if MIN_BODY <= length <= max_len and seq > last_seq:
                candidate = window_start + i
                if candidate + FRAME_HEADER_SIZE + length <= end:
                    frame = _frame_at(f, candidate, end, max_len, last_seq)
                    if frame is not None:
                        return frame
        window_start += _WINDOW
    return None


def scan_frames(
    f: BinaryIO, *, start: int, end: int, first_seq: int, max_record_bytes: int, last_seq: int | None = None
) -> Iterator[Frame | Gap | Tail]:
    """Yield the frames, gaps and torn tail between ``start`` and ``end`` (see module doc).

    Memory is bounded by one record (the maximum record size), whatever the segment size.
    """
    max_len = min(max_record_bytes, HARD_MAX_RECORD_BYTES)
    last = first_seq - 1 if last_seq is None else last_seq
    known_before: int | None = None if last_seq is None else last_seq
    pos = start
    while pos < end:
        frame = _frame_at(f, pos, end, max_len, last)
        if frame is None:
            frame = _find_next_frame(f, pos + 1, end, max_len, last)
            if frame is None:
                yield Tail(pos, end - pos)
                return
            yield Gap(pos, frame.offset - pos, known_before, frame.seq)
        yield frame
        last = known_before = frame.seq
        pos = frame.end
