import os
import struct
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.core import ForeignSegment, Ledger, LedgerCorruption, LedgerReader, RecordTooLarge, UnsupportedFormat
from ledger.core.framing import (
    FRAME,
    HEADER_SIZE,
    InvalidRecord,
    SegmentHeader,
    decode_body,
    decode_header,
    encode_body,
    encode_frame,
    encode_header,
)
from ledger.tests.conftest import make_record, segment_path

pytestmark = pytest.mark.timeout(60)


@pytest.mark.audit("14")
def test_a_segment_header_round_trips_with_magic_version_partition_segment_and_first_seq():
    header = SegmentHeader(7, 1234, 4096, b"L" * 16, "2026-03-14-late")
    raw = encode_header(header)
    assert len(raw) == HEADER_SIZE == 64
    assert raw[:8] == b"OMENLSEG"
    assert decode_header(raw) == header


@pytest.mark.audit("14")
def test_a_record_body_round_trips_and_normalises_the_time_to_utc():
    moment = datetime(2026, 3, 14, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    record = make_record(emitted_at=moment, payload=b"\x00\xff" * 10)
    decoded = decode_body(encode_body(record, 1 << 20))
    assert decoded.signal_id == record.signal_id and decoded.payload == record.payload
    assert decoded.emitted_at == moment and decoded.emitted_at.tzinfo == UTC


@pytest.mark.audit("14")
def test_a_frame_checksum_covers_the_length_and_seq_fields():
    frame = bytearray(encode_frame(5, encode_body(make_record(), 1 << 20)))
    length, seq, crc = FRAME.unpack_from(frame)
    from ledger.core.framing import frame_checksum_ok

    body = bytes(frame[FRAME.size :])
    assert frame_checksum_ok(length, seq, crc, body)
    assert not frame_checksum_ok(length, seq + 1, crc, body)


@pytest.mark.audit("14")
def test_a_naive_datetime_is_refused():
    with pytest.raises(InvalidRecord):
        encode_body(make_record(emitted_at=datetime(2026, 3, 14)), 1 << 20)


@pytest.mark.audit("14")
def test_the_record_size_limit_is_checked_before_the_body_is_built():
    huge = make_record(payload=b"x" * (8 * 1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(RecordTooLarge):
            encode_body(huge, 1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # the 8 MiB payload was never copied


@pytest.mark.audit("14")
def test_the_ledger_refuses_an_oversized_record_and_stores_nothing(open_ledger, ledger_dir):
    ledger = open_ledger(max_record_bytes=2048)
    with pytest.raises(RecordTooLarge):
        ledger.append([make_record(), make_record(payload=b"x" * 4096)])
    assert not os.path.exists(segment_path(ledger_dir))


def _segment_with_records(open_ledger, ledger_dir, n=3):
    ledger = open_ledger(max_record_bytes=4096)
    positions = ledger.append([make_record() for _ in range(n)])
    ledger.close()
    return positions


@pytest.mark.audit("14")
@pytest.mark.parametrize("length", [0, 1, 4096 + 1, 0xFFFFFFFF])
def test_a_bogus_length_field_at_the_tail_is_a_torn_tail_without_a_huge_allocation(open_ledger, ledger_dir, length):
    positions = _segment_with_records(open_ledger, ledger_dir)
    path = segment_path(ledger_dir)
    with open(path, "ab") as f:
        f.write(struct.pack("<IQI", length, positions[-1].seq + 1, 0) + b"\x01" * 40)
    tracemalloc.start()
    try:
        ledger = Ledger.open(ledger_dir, max_record_bytes=4096)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    assert [s.seq for s in LedgerReader(ledger_dir).read_partition("2026-03-14")] == [p.seq for p in positions]
    assert ledger.append([make_record()])[0].seq == positions[-1].seq + 1
    ledger.close()


@pytest.mark.audit("14")
@pytest.mark.parametrize("length", [0, 1, 4096 + 1, 0xFFFFFFFF])
def test_a_bogus_length_field_mid_segment_is_skipped_and_the_next_records_stay_readable(
    open_ledger, ledger_dir, length
):
    positions = _segment_with_records(open_ledger, ledger_dir, n=4)
    path = segment_path(ledger_dir)
    with open(path, "r+b") as f:
        f.seek(positions[1].offset)
        f.write(struct.pack("<I", length))
    seen = []
    reader = LedgerReader(ledger_dir, on_corruption=seen.append)
    assert [s.seq for s in reader.read_partition("2026-03-14")] == [positions[0].seq, *(p.seq for p in positions[2:])]
    assert seen and seen[0].offset == positions[1].offset


@pytest.mark.audit("14")
def test_a_segment_of_another_ledger_is_refused(open_ledger, ledger_dir, tmp_path):
    _segment_with_records(open_ledger, ledger_dir)
    other = os.fspath(tmp_path / "other")
    Ledger.open(other).close()
    os.makedirs(os.path.join(other, "2026-03-14"))
    os.rename(segment_path(ledger_dir), segment_path(other))
    with pytest.raises(ForeignSegment, match="another ledger"):
        Ledger.open(other)


@pytest.mark.audit("14")
def test_a_segment_moved_to_another_partition_or_renumbered_is_refused(open_ledger, ledger_dir):
    _segment_with_records(open_ledger, ledger_dir)
    os.makedirs(os.path.join(ledger_dir, "2026-03-15"))
    os.rename(segment_path(ledger_dir), segment_path(ledger_dir, "2026-03-15", 1))
    with pytest.raises(ForeignSegment, match="belongs to partition"):
        list(LedgerReader(ledger_dir).read_partition("2026-03-15"))
    os.rename(segment_path(ledger_dir, "2026-03-15", 1), segment_path(ledger_dir, "2026-03-15", 2))
    with pytest.raises(ForeignSegment):
        list(LedgerReader(ledger_dir).read_partition("2026-03-15"))


@pytest.mark.audit("14")
def test_an_unknown_format_version_is_refused(open_ledger, ledger_dir):
    _segment_with_records(open_ledger, ledger_dir)
    path = segment_path(ledger_dir)
    with open(path, "r+b") as f:
        f.seek(8)
        f.write(struct.pack("<H", 99))
    with pytest.raises(UnsupportedFormat):
        list(LedgerReader(ledger_dir).read_partition("2026-03-14"))


@pytest.mark.audit("14")
def test_a_damaged_segment_header_is_reported_as_corruption(open_ledger, ledger_dir):
    _segment_with_records(open_ledger, ledger_dir)
    with open(segment_path(ledger_dir), "r+b") as f:
        f.seek(20)
        f.write(b"\xee")
    with pytest.raises(LedgerCorruption, match="header checksum"):
        list(LedgerReader(ledger_dir).read_partition("2026-03-14"))
