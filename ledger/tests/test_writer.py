import os
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.core import Ledger, LedgerBusy, LedgerReader, LedgerWriteError, fsutil
from ledger.core.segment import list_segments
from ledger.tests.conftest import DAY, make_record, segment_path

pytestmark = pytest.mark.timeout(60)


class FsyncSpy:
    """Records every fsync with the path it made durable (files) or the directory."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        self.fail_next = False
        real = fsutil.fsync

        def spy(fd):
            if self.fail_next:
                self.fail_next = False
                raise OSError(5, "Input/output error")
            self.calls.append(os.readlink(f"/proc/self/fd/{fd}"))
            real(fd)

        monkeypatch.setattr(fsutil, "fsync", spy)

    def segment_fsyncs(self) -> int:
        return sum(1 for path in self.calls if path.endswith(".seg"))


@pytest.mark.audit("13")
def test_append_returns_the_positions_of_the_records_in_order(open_ledger):
    ledger = open_ledger()
    positions = ledger.append([make_record() for _ in range(3)])
    assert [p.seq for p in positions] == [1, 2, 3]
    assert {p.partition for p in positions} == {"2026-03-14"}
    assert positions[0].offset == 64 and positions[1].offset > positions[0].offset


@pytest.mark.audit("16")
def test_a_record_is_fsynced_before_append_returns(open_ledger, monkeypatch, ledger_dir):
    ledger = open_ledger()
    spy = FsyncSpy(monkeypatch)
    original_write = fsutil.write_all
    order = []
    monkeypatch.setattr(fsutil, "write_all", lambda fd, data: (order.append("write"), original_write(fd, data)))
    ledger.append([make_record()])
    assert spy.segment_fsyncs() >= 1
    assert order[-1] == "write" and spy.calls[-1].endswith("00000001.seg")


@pytest.mark.audit("16")
def test_a_batch_of_a_hundred_records_costs_one_segment_fsync(open_ledger, monkeypatch):
    ledger = open_ledger()
    ledger.append([make_record()])
    spy = FsyncSpy(monkeypatch)
    ledger.append([make_record() for _ in range(100)])
    assert spy.segment_fsyncs() == 1


@pytest.mark.audit("16")
def test_the_directory_is_fsynced_after_a_segment_is_created(open_ledger, monkeypatch, ledger_dir):
    ledger = open_ledger()
    spy = FsyncSpy(monkeypatch)
    ledger.append([make_record()])
    partition_dir = os.path.join(ledger_dir, "2026-03-14")
    created = spy.calls.index(partition_dir + "/00000001.seg.tmp")
    assert spy.calls[created + 1] == partition_dir  # the new entry is durable before anything else
    assert ledger_dir in spy.calls  # and so is the new partition directory


@pytest.mark.audit("16")
def test_concurrent_appends_from_threads_share_fsyncs(open_ledger, monkeypatch):
    ledger = open_ledger()
    ledger.append([make_record()])
    spy = FsyncSpy(monkeypatch)
    real = fsutil.fsync

    def slow_fsync(fd):
        threading.Event().wait(0.002)  # a slow disk lets followers queue up
        real(fd)

    monkeypatch.setattr(
        fsutil, "fsync", lambda fd: (spy.calls.append(os.readlink(f"/proc/self/fd/{fd}")), slow_fsync(fd))
    )
    threads = [threading.Thread(target=lambda: [ledger.append([make_record()]) for _ in range(20)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert spy.segment_fsyncs() < 160 / 2  # 160 appends, far fewer fsyncs


@pytest.mark.audit("16")
def test_a_failed_fsync_is_reported_and_never_acknowledged_later(open_ledger, monkeypatch, ledger_dir):
    ledger = open_ledger()
    kept = ledger.append([make_record()])
    spy = FsyncSpy(monkeypatch)
    spy.fail_next = True
    with pytest.raises(LedgerWriteError):
        ledger.append([make_record(signal_id="lost")])
    calls_after_failure = len(spy.calls)
    with pytest.raises(LedgerWriteError):  # stops acknowledging: no retry of the fsync
        ledger.append([make_record(signal_id="refused")])
    assert len(spy.calls) == calls_after_failure
    assert ledger.failed is not None
    ledger.close()
    reopened = Ledger.open(ledger_dir)  # recovery by reopening
    after = reopened.append([make_record(signal_id="after")])
    ids = [s.signal_id for s in LedgerReader(ledger_dir).read_partition("2026-03-14")]
    assert ids == [kept_record for kept_record in ids if kept_record != "lost"]
    assert "refused" not in ids and ids[-1] == "after" and after[0].seq > kept[0].seq
    reopened.close()


@pytest.mark.audit("13")
def test_a_full_queue_raises_ledger_busy(open_ledger, monkeypatch):
    ledger = open_ledger(queue_max=3)
    gate, entered = threading.Event(), threading.Event()
    real = fsutil.fsync

    def blocking_fsync(fd):
        entered.set()
        gate.wait(5)
        real(fd)

    ledger.append([make_record()])
    monkeypatch.setattr(fsutil, "fsync", blocking_fsync)
    leader = threading.Thread(target=ledger.append, args=([make_record()],))
    leader.start()
    entered.wait(5)
    followers = [threading.Thread(target=ledger.append, args=([make_record()],)) for _ in range(3)]
    for f in followers:
        f.start()
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while ledger._queued_records < 3 and datetime.now(UTC) < deadline:
        threading.Event().wait(0.001)
    with pytest.raises(LedgerBusy):
        ledger.append([make_record()])
    gate.set()
    leader.join()
    for f in followers:
        f.join()


@pytest.mark.audit("19")
def test_the_partition_is_the_utc_date_of_emitted_at(open_ledger):
    ledger = open_ledger()
    late_evening_in_new_york = datetime(2026, 3, 14, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    early_in_tokyo = datetime(2026, 3, 15, 1, 0, tzinfo=timezone(timedelta(hours=9)))
    positions = ledger.append(
        [make_record(emitted_at=late_evening_in_new_york), make_record(emitted_at=early_in_tokyo)]
    )
    assert [p.partition for p in positions] == ["2026-03-15", "2026-03-14"]


@pytest.mark.audit("19")
def test_segments_roll_over_at_the_record_count(open_ledger, ledger_dir):
    ledger = open_ledger(segment_max_records=10)
    positions = ledger.append([make_record() for _ in range(25)])
    assert [p.segment for p in positions] == [1] * 10 + [2] * 10 + [3] * 5
    assert list_segments(os.path.join(ledger_dir, "2026-03-14")) == [1, 2, 3]


@pytest.mark.audit("19")
def test_segments_roll_over_at_the_size(open_ledger, ledger_dir):
    ledger = open_ledger(segment_max_bytes=64 * 1024, max_record_bytes=16 * 1024)
    for _ in range(20):
        ledger.append([make_record(payload=b"p" * 10_000)])
    sizes = [os.path.getsize(segment_path(ledger_dir, number=n)) for n in (1, 2, 3)]
    assert all(size <= 64 * 1024 for size in sizes)
    assert len(list_segments(os.path.join(ledger_dir, "2026-03-14"))) >= 4


@pytest.mark.audit("18")
def test_seq_is_unique_and_increasing_across_partitions_and_restarts(open_ledger, ledger_dir):
    ledger = open_ledger(segment_max_records=4)
    seqs = [p.seq for p in ledger.append([make_record(emitted_at=DAY + timedelta(days=i % 3)) for i in range(10)])]
    ledger.close()
    os.unlink(os.path.join(ledger_dir, "SEQ"))  # the counter is a hint; the segments decide
    again = Ledger.open(ledger_dir)
    seqs += [p.seq for p in again.append([make_record(emitted_at=DAY - timedelta(days=1))])]
    again.close()
    assert seqs == sorted(set(seqs)) and seqs[-1] == 11


@pytest.mark.audit("18")
def test_threads_get_unique_increasing_seqs(open_ledger, ledger_dir):
    ledger = open_ledger(segment_max_records=50)
    results = []

    def worker():
        for _ in range(25):
            results.extend(ledger.append([make_record(), make_record(emitted_at=DAY + timedelta(days=1))]))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = sorted(p.seq for p in results)
    assert seqs == list(range(1, 301))
    read = [s.seq for s in LedgerReader(ledger_dir).read_seq_range(1, 10**9)]
    assert read == seqs
