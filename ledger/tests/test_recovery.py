import os
import shutil

import pytest

from ledger.core import Ledger, LedgerReader
from ledger.core.metadata import read_quarantine
from ledger.tests.conftest import make_record, segment_path

pytestmark = pytest.mark.timeout(120)
PARTITION = "2026-03-14"


class TornTails:
    def __init__(self):
        self.truncations: list[tuple[int, int]] = []
        self.corruptions: list = []

    def torn_tail_truncated(self, partition, segment, offset, length):
        self.truncations.append((offset, length))

    def corruption_found(self, exc, source):
        self.corruptions.append(exc)

    def __getattr__(self, name):  # every other hook is a no-op
        return lambda *args, **kwargs: None


def _seqs(ledger_dir, partition=PARTITION):
    return [s.seq for s in LedgerReader(ledger_dir).read_partition(partition)]


@pytest.fixture
def three_records(open_ledger, ledger_dir):
    ledger = open_ledger()
    positions = ledger.append([make_record() for _ in range(3)])
    ledger.close()
    return positions


@pytest.mark.audit("15")
def test_truncating_the_last_record_at_every_byte_offset_loses_only_that_record(three_records, ledger_dir, tmp_path):
    path = segment_path(ledger_dir)
    pristine = tmp_path / "pristine"
    shutil.copytree(ledger_dir, pristine)
    last = three_records[-1]
    full_size = os.path.getsize(path)
    for cut in range(last.offset, full_size):
        shutil.rmtree(ledger_dir)
        shutil.copytree(pristine, ledger_dir)
        os.truncate(path, cut)
        observer = TornTails()
        ledger = Ledger.open(ledger_dir, observer=observer)
        assert observer.truncations == ([(last.offset, cut - last.offset)] if cut > last.offset else [])
        assert os.path.getsize(path) == last.offset
        new = ledger.append([make_record()])[0]
        ledger.close()
        assert new.offset == last.offset and new.seq > last.seq
        assert _seqs(ledger_dir) == [three_records[0].seq, three_records[1].seq, new.seq]
        assert not observer.corruptions


@pytest.mark.audit("15")
@pytest.mark.parametrize("size", [1, 7, 16, 17, 600, 4096, 65536])
@pytest.mark.parametrize("kind", ["zeros", "garbage"])
def test_a_zero_or_garbage_tail_is_treated_as_the_end(three_records, ledger_dir, size, kind):
    path = segment_path(ledger_dir)
    good_size = os.path.getsize(path)
    tail = bytes(size) if kind == "zeros" else os.urandom(size)
    with open(path, "ab") as f:
        f.write(tail)
    observer = TornTails()
    ledger = Ledger.open(ledger_dir, observer=observer)
    assert observer.truncations == [(good_size, size)] and not observer.corruptions
    appended = ledger.append([make_record() for _ in range(2)])
    ledger.close()
    assert _seqs(ledger_dir) == [p.seq for p in three_records + appended]
    assert not read_quarantine(os.path.dirname(path))


@pytest.mark.audit("15")
def test_a_torn_tail_left_by_another_process_is_repaired_before_the_next_append(three_records, ledger_dir):
    observer = TornTails()
    ledger = Ledger.open(ledger_dir, observer=observer)
    path = segment_path(ledger_dir)
    with open(path, "ab") as f:  # a writer in another process died mid-frame
        f.write(b"\x40\x00\x00\x00" + b"\x09" * 20)
    appended = ledger.append([make_record()])
    ledger.close()
    assert len(observer.truncations) == 1
    assert appended[0].offset == three_records[-1].offset + (three_records[-1].offset - three_records[-2].offset)
    assert LedgerReader(ledger_dir).read_at(appended[0]).seq == appended[0].seq
    assert _seqs(ledger_dir)[-1] == appended[0].seq
    assert not read_quarantine(os.path.dirname(path))


@pytest.mark.audit("22")
def test_corruption_in_the_middle_is_quarantined_not_truncated(open_ledger, ledger_dir):
    ledger = open_ledger()
    positions = ledger.append([make_record() for _ in range(5)])
    ledger.close()
    path = segment_path(ledger_dir)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(positions[2].offset + 20)
        f.write(b"\xff\xfe")
    observer = TornTails()
    ledger = Ledger.open(ledger_dir, observer=observer)
    assert os.path.getsize(path) == size  # nothing truncated
    [exc] = observer.corruptions
    assert (exc.partition, exc.segment, exc.offset) == (PARTITION, 1, positions[2].offset)
    assert (exc.seq_before, exc.seq_after) == (positions[1].seq, positions[3].seq)
    [entry] = read_quarantine(os.path.dirname(path))
    assert entry["offset"] == positions[2].offset and os.path.exists(os.path.join(os.path.dirname(path), entry["copy"]))
    later = ledger.append([make_record()])
    ledger.close()
    assert _seqs(ledger_dir) == [positions[0].seq, positions[1].seq, positions[3].seq, positions[4].seq, later[0].seq]
    reopened = Ledger.open(ledger_dir, observer=TornTails())
    reopened.close()
    assert len(read_quarantine(os.path.dirname(path))) == 1  # reported once, not on every open


@pytest.mark.audit("17")
def test_no_temp_file_is_left_behind_after_recovery(three_records, ledger_dir):
    pdir = os.path.join(ledger_dir, PARTITION)
    for leftover in (
        os.path.join(pdir, "CURRENT.json.123.tmp"),
        os.path.join(ledger_dir, "LEDGER.json.9.tmp"),
        os.path.join(pdir, "00000002.seg.tmp"),
    ):
        with open(leftover, "wb") as f:
            f.write(b"half")
    Ledger.open(ledger_dir).close()
    leftovers = [name for _, _, names in os.walk(ledger_dir) for name in names if name.endswith(".tmp")]
    assert leftovers == []
    assert _seqs(ledger_dir) == [p.seq for p in three_records]


@pytest.mark.audit("17")
def test_a_lost_current_pointer_is_rebuilt_from_the_segments(open_ledger, ledger_dir):
    ledger = open_ledger(segment_max_records=2)
    positions = ledger.append([make_record() for _ in range(5)])
    ledger.close()
    os.unlink(os.path.join(ledger_dir, PARTITION, "CURRENT.json"))
    again = Ledger.open(ledger_dir, segment_max_records=2)
    more = again.append([make_record()])
    again.close()
    assert more[0].segment == 3 and more[0].seq == positions[-1].seq + 1
