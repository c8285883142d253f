import hashlib
import json
import os
from datetime import timedelta

import pytest

from ledger.core import PartitionSealed, SealNotDue, fsutil, seal_partition, verify
from ledger.core.metadata import read_manifest
from ledger.tests.conftest import DAY, make_record, segment_path

pytestmark = pytest.mark.timeout(60)
GRACE = timedelta(hours=1)
PARTITION = "2026-03-14"


@pytest.fixture
def filled(open_ledger, clock):
    ledger = open_ledger(segment_max_records=4)
    positions = ledger.append([make_record() for _ in range(10)])
    clock.now = DAY.replace(hour=0) + timedelta(days=1, hours=2)  # the day is over, grace included
    return ledger, positions


@pytest.mark.audit("20")
def test_seal_writes_a_manifest_with_count_seq_range_and_segment_hashes(filled, ledger_dir):
    ledger, positions = filled
    result = seal_partition(ledger, PARTITION, grace=GRACE)
    manifest = read_manifest(os.path.join(ledger_dir, PARTITION))
    assert not result.already_sealed and manifest == result.manifest
    assert (manifest.records, manifest.first_seq, manifest.last_seq) == (10, positions[0].seq, positions[-1].seq)
    assert [s.segment for s in manifest.segments] == [1, 2, 3]
    with open(segment_path(ledger_dir, number=2), "rb") as f:
        assert manifest.segments[1].sha256 == hashlib.sha256(f.read()).hexdigest()


@pytest.mark.audit("20")
def test_a_sealed_date_sends_new_records_to_its_late_partition(filled):
    ledger, _ = filled
    seal_partition(ledger, PARTITION, grace=GRACE)
    [late] = ledger.append([make_record()])
    assert late.partition == "2026-03-14-late"


@pytest.mark.audit("19")
def test_a_record_for_a_date_sealed_by_another_process_goes_to_late(filled, ledger_dir):
    from ledger.core import Ledger

    ledger, _ = filled
    other = Ledger.open(ledger_dir, clock=ledger.clock)
    seal_partition(other, PARTITION, grace=GRACE)
    other.close()
    assert ledger.append([make_record()])[0].partition == "2026-03-14-late"


@pytest.mark.audit("20")
def test_sealing_twice_is_a_no_op(filled, ledger_dir):
    ledger, _ = filled
    first = seal_partition(ledger, PARTITION, grace=GRACE)
    path = os.path.join(ledger_dir, PARTITION, "MANIFEST.json")
    before = os.stat(path)
    second = seal_partition(ledger, PARTITION, grace=GRACE)
    assert second.already_sealed and second.manifest == first.manifest
    assert os.stat(path).st_ino == before.st_ino


@pytest.mark.audit("20")
def test_a_sealed_late_partition_refuses_appends(filled):
    ledger, _ = filled
    seal_partition(ledger, PARTITION, grace=GRACE)
    ledger.append([make_record()])
    seal_partition(ledger, "2026-03-14-late", grace=GRACE)
    with pytest.raises(PartitionSealed):
        ledger.append([make_record()])
    assert ledger.append([make_record(emitted_at=DAY + timedelta(days=1))])[0].partition == "2026-03-15"


@pytest.mark.audit("20")
def test_a_partition_is_not_sealed_before_its_day_and_grace_end(open_ledger, clock):
    ledger = open_ledger()
    ledger.append([make_record()])
    clock.now = DAY.replace(hour=0) + timedelta(days=1, minutes=30)  # 00:30 the next day
    with pytest.raises(SealNotDue):
        seal_partition(ledger, PARTITION, grace=GRACE)
    assert seal_partition(ledger, PARTITION, grace=GRACE, force=True).manifest.records == 1


@pytest.mark.audit("20")
def test_a_dry_run_writes_nothing(filled, ledger_dir):
    ledger, _ = filled
    result = seal_partition(ledger, PARTITION, grace=GRACE, dry_run=True)
    assert result.dry_run and result.manifest.records == 10
    assert read_manifest(os.path.join(ledger_dir, PARTITION)) is None


@pytest.mark.audit("17")
def test_the_manifest_is_written_temp_fsync_rename_then_directory_fsync(filled, ledger_dir, monkeypatch):
    ledger, _ = filled
    events = []
    real_fsync, real_replace = fsutil.fsync, os.replace
    monkeypatch.setattr(
        fsutil, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))), real_fsync(fd))
    )
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("rename", b)), real_replace(a, b)))
    seal_partition(ledger, PARTITION, grace=GRACE)
    pdir = os.path.join(ledger_dir, PARTITION)
    manifest = os.path.join(pdir, "MANIFEST.json")
    rename = events.index(("rename", manifest))
    assert (
        events[rename - 1][0] == "fsync"
        and events[rename - 1][1].startswith(manifest)
        and events[rename - 1][1].endswith(".tmp")
    )
    assert events[rename + 1] == ("fsync", pdir)
    with open(manifest) as f:
        assert json.load(f)["records"] == 10


@pytest.mark.audit("22")
def test_verify_passes_on_a_healthy_ledger(filled):
    ledger, _ = filled
    seal_partition(ledger, PARTITION, grace=GRACE)
    report = verify(ledger)
    assert report.ok and report.records == 10 and report.segments == 3


@pytest.mark.audit("22")
def test_a_flipped_byte_in_a_sealed_segment_is_detected_and_the_next_records_stay_readable(filled, ledger_dir):
    from ledger.core import LedgerReader

    ledger, positions = filled
    seal_partition(ledger, PARTITION, grace=GRACE)
    middle = positions[5]  # segment 2 holds seqs 5..8
    with open(segment_path(ledger_dir, number=middle.segment), "r+b") as f:
        f.seek(middle.offset + 30)
        byte = f.read(1)
        f.seek(middle.offset + 30)
        f.write(bytes([byte[0] ^ 0x01]))
    report = verify(ledger, PARTITION)
    assert not report.ok
    assert any(
        f"offset {middle.offset}" in p and f"seq {positions[4].seq} and {positions[6].seq}" in p
        for p in report.problems
    )
    assert any("SHA-256" in p for p in report.problems)
    seen = []
    seqs = [s.seq for s in LedgerReader(ledger_dir, on_corruption=seen.append).read_partition(PARTITION)]
    assert seqs == [p.seq for p in positions if p.seq != middle.seq]
    assert seen[0].segment == middle.segment


@pytest.mark.audit("22")
def test_verify_reports_a_torn_tail_and_a_missing_segment(filled, ledger_dir):
    ledger, _ = filled
    seal_partition(ledger, PARTITION, grace=GRACE)
    with open(segment_path(ledger_dir, number=3), "ab") as f:
        f.write(b"\x00" * 10)
    os.unlink(segment_path(ledger_dir, number=1))
    problems = verify(ledger, PARTITION).problems
    assert any("torn tail" in p for p in problems)
    assert any("missing" in p for p in problems)
