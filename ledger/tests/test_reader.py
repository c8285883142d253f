import tracemalloc
from datetime import timedelta

import pytest

from ledger.core import LedgerReader, SignalIndex, seal_partition
from ledger.core import segment as segment_module
from ledger.tests.conftest import DAY, make_record

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def three_days(open_ledger, clock):
    """Records over three dates, with a sealed first date and one late record for it."""
    ledger = open_ledger(segment_max_records=5)
    stored = ledger.append([make_record(emitted_at=DAY + timedelta(days=i % 3, minutes=i)) for i in range(30)])
    clock.now = DAY + timedelta(days=3)
    seal_partition(ledger, "2026-03-14", grace=timedelta(hours=1))
    stored += ledger.append([make_record(signal_id="late-one", emitted_at=DAY + timedelta(hours=5))])
    return ledger, stored


@pytest.mark.audit("21")
def test_it_reads_one_partition_in_seq_order(three_days, ledger_dir):
    _, stored = three_days
    seqs = [s.seq for s in LedgerReader(ledger_dir).read_partition("2026-03-15")]
    assert seqs == [p.seq for p in stored if p.partition == "2026-03-15"]


@pytest.mark.audit("21")
def test_it_reads_a_seq_range_across_partitions_in_order(three_days, ledger_dir):
    _, stored = three_days
    got = list(LedgerReader(ledger_dir).read_seq_range(7, 23))
    assert [s.seq for s in got] == list(range(7, 24))
    assert {s.position.partition for s in got} == {"2026-03-14", "2026-03-15", "2026-03-16"}


@pytest.mark.audit("21")
def test_a_time_range_includes_the_late_partition_once(three_days, ledger_dir):
    _, stored = three_days
    start, end = DAY.replace(hour=0), DAY.replace(hour=0) + timedelta(days=1)
    got = [s.signal_id for s in LedgerReader(ledger_dir).read_time_range(start, end)]
    assert len(got) == len(set(got)) == 11  # ten on time, one late
    assert got[-1] == "late-one"


@pytest.mark.audit("21")
def test_a_time_range_filters_by_emitted_at(three_days, ledger_dir):
    start = DAY + timedelta(days=1, minutes=4)
    end = DAY + timedelta(days=1, minutes=11)
    got = [s.record.emitted_at for s in LedgerReader(ledger_dir).read_time_range(start, end)]
    assert got == [DAY + timedelta(days=1, minutes=m) for m in (4, 7, 10)]


@pytest.mark.audit("21")
def test_it_finds_a_record_by_signal_id(three_days, ledger_dir):
    _, stored = three_days
    index = SignalIndex(LedgerReader(ledger_dir))
    [found] = index.lookup("late-one")
    assert found.position == stored[-1]
    assert index.lookup("nobody") == []


@pytest.mark.audit("21")
def test_a_signal_id_lookup_reads_only_what_was_appended_since_the_last_one(three_days, ledger_dir, monkeypatch):
    ledger, _ = three_days
    index = SignalIndex(LedgerReader(ledger_dir))
    index.catch_up()
    scanned = []
    real = segment_module.scan_frames

    def counting(f, **kwargs):
        scanned.append((f.name, kwargs["start"]))
        return real(f, **kwargs)

    monkeypatch.setattr("ledger.core.index.scan_frames", counting)
    [new] = ledger.append([make_record(signal_id="fresh", emitted_at=DAY + timedelta(days=2))])
    assert index.lookup("fresh")[0].position == new
    assert len(scanned) == 1 and scanned[0][1] == new.offset  # one segment, from the new bytes only


@pytest.mark.audit("21")
def test_the_index_is_rebuilt_when_its_file_is_damaged(three_days, ledger_dir):
    import os

    index = SignalIndex(LedgerReader(ledger_dir))
    index.catch_up()
    index.close()
    with open(os.path.join(ledger_dir, "index.sqlite3"), "r+b") as f:
        f.write(b"garbage" * 100)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(os.path.join(ledger_dir, "index.sqlite3" + suffix)):
            os.unlink(os.path.join(ledger_dir, "index.sqlite3" + suffix))
    assert SignalIndex(LedgerReader(ledger_dir)).lookup("late-one")[0].signal_id == "late-one"


@pytest.mark.audit("21")
def test_reading_streams_in_constant_memory(open_ledger, ledger_dir):
    ledger = open_ledger()
    payload = b"p" * 8192
    for _ in range(20):
        ledger.append([make_record(payload=payload) for _ in range(100)])  # ~16 MB
    tracemalloc.start()
    try:
        count = sum(1 for _ in LedgerReader(ledger_dir).read_partition("2026-03-14"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2000
    assert peak < 2 * 1024 * 1024
