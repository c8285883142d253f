"""Crashes, power cuts, concurrent processes and hostile bytes, with real files and processes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.core import Ledger, LedgerError, LedgerReader, fsutil
from ledger.tests.conftest import make_record

ROOT = Path(__file__).resolve().parents[2]
ITERATIONS = int(os.environ.get("OMEN_FAULT_ITERATIONS", "50"))


def _child(ledger_dir: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ledger.tests.fault_child", ledger_dir, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _all_records(ledger_dir: str):
    reader = LedgerReader(ledger_dir)
    return [stored for name in reader.partitions() for stored in reader.read_partition(name)]


@pytest.mark.audit("15")
@pytest.mark.timeout(180)
def test_every_acknowledged_record_survives_kill_9_at_random_moments(ledger_dir):
    rng = random.Random(1234)
    acked: dict[int, str] = {}
    for iteration in range(ITERATIONS):
        child = _child(ledger_dir, "loop", str(iteration))
        assert child.stdout.readline() == "ready\n"
        lines: list[str] = []
        reader = threading.Thread(target=lambda c=child, out=lines: out.extend(c.stdout))
        reader.start()
        time.sleep(rng.uniform(0.0, 0.06))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join()
        for line in lines:
            if line.endswith("\n"):  # a line cut by the kill was never a complete report
                seq, partition, _ = line.split()
                acked[int(seq)] = partition
        Ledger.open(ledger_dir, segment_max_records=40, segment_max_bytes=64 * 1024, max_record_bytes=8192).close()
        stored = _all_records(ledger_dir)
        found = {s.seq: s.position.partition for s in stored}
        missing = [seq for seq, partition in acked.items() if found.get(seq) != partition]
        assert not missing, f"iteration {iteration}: acknowledged seqs lost: {missing[:10]}"
        for name in {s.position.partition for s in stored}:
            seqs = [s.seq for s in stored if s.position.partition == name]
            assert seqs == sorted(set(seqs))
        assert len(found) == len(stored)  # unique across partitions
    assert len(acked) > ITERATIONS  # the children really were appending when killed
    print(f"{ITERATIONS} kills, {len(acked)} acknowledged records, all readable")


@pytest.mark.audit("18")
@pytest.mark.timeout(120)
def test_two_processes_appending_at_once_get_unique_increasing_seqs(ledger_dir):
    Ledger.open(ledger_dir).close()
    children = [_child(ledger_dir, "count", "150", tag) for tag in ("a", "b")]
    outputs = [child.communicate(timeout=100)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    per_child = [[int(line.split()[0]) for line in out.splitlines()[1:]] for out in outputs]
    for seqs in per_child:
        assert len(seqs) == 150 and seqs == sorted(seqs)
    assert len(set(per_child[0]) | set(per_child[1])) == 300
    stored = _all_records(ledger_dir)
    assert [s.seq for s in stored] == sorted(per_child[0] + per_child[1])
    assert {s.signal_id for s in stored} == {f"{t}-{i}" for t in "ab" for i in range(150)}


class PowerCut(BaseException):
    """Raised from an fsync to stop the world mid-operation (not an OSError: no cleanup runs)."""


class DurabilityTracker:
    """What would survive a power cut: file sizes at their last fsync, names at the last dir fsync.

    Files are tracked by inode, so a rename keeps what was fsync'd under the temp name.
    """

    def __init__(self, monkeypatch, root: str):
        self.root = root
        self.synced_size: dict[int, int] = {}
        self.synced_names: dict[str, set[str]] = {}
        self.cut_at: int | None = None
        self.calls = 0
        real_fsync, real_fsync_dir = fsutil.fsync, fsutil.fsync_dir

        def fsync(fd):
            self.calls += 1
            if self.cut_at is not None and self.calls >= self.cut_at:
                raise PowerCut()
            real_fsync(fd)
            st = os.fstat(fd)
            if not os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
                self.synced_size[st.st_ino] = st.st_size

        def fsync_dir(path):
            real_fsync_dir(path)
            self.synced_names[os.path.abspath(path)] = set(os.listdir(path))

        monkeypatch.setattr(fsutil, "fsync", fsync)
        monkeypatch.setattr(fsutil, "fsync_dir", fsync_dir)

    def lose_power(self) -> None:
        """Drop every name not made durable and cut every file back to its last fsync."""
        for directory, dirs, files in os.walk(self.root, topdown=True):
            durable = self.synced_names.get(os.path.abspath(directory), set())
            for name in list(dirs):
                if name not in durable:
                    import shutil

                    shutil.rmtree(os.path.join(directory, name))
                    dirs.remove(name)
            for name in files:
                path = os.path.join(directory, name)
                if name not in durable:
                    os.unlink(path)
                    continue
                size = self.synced_size.get(os.stat(path).st_ino, 0)
                if os.path.getsize(path) > size:
                    os.truncate(path, size)


@pytest.mark.audit("16")
@pytest.mark.timeout(120)
def test_no_acknowledged_record_is_lost_in_a_simulated_power_cut(tmp_path, monkeypatch):
    from datetime import timedelta

    from ledger.core import seal_partition
    from ledger.tests.conftest import DAY, FakeClock

    rng = random.Random(99)
    for trial in range(25):
        root = os.fspath(tmp_path / f"trial-{trial}")
        with monkeypatch.context() as patch:
            tracker = DurabilityTracker(patch, os.fspath(tmp_path))
            clock = FakeClock(DAY + timedelta(days=3))
            ledger = Ledger.open(root, segment_max_records=6, clock=clock)
            tracker.cut_at = tracker.calls + rng.randrange(1, 60)
            acked = []
            try:
                for step in range(40):
                    if step == 15:
                        seal_partition(ledger, "2026-03-14", grace=timedelta(hours=1))
                    days = [rng.randrange(2) for _ in range(rng.randrange(1, 4))]
                    batch = [make_record(emitted_at=DAY + timedelta(days=d)) for d in days]
                    acked += [(p.seq, r.signal_id) for p, r in zip(ledger.append(batch), batch, strict=True)]
            except (PowerCut, LedgerError):
                pass
            tracker.lose_power()
            for active in list(ledger._active.values()):
                active.close()
        recovered = Ledger.open(root, segment_max_records=6, clock=clock)
        after = recovered.append([make_record()])
        recovered.close()
        stored = {s.seq: s.signal_id for s in _all_records(root)}
        lost = [(seq, sid) for seq, sid in acked if stored.get(seq) != sid]
        assert not lost, f"trial {trial}: acknowledged records lost in the power cut: {lost[:5]}"
        assert after[0].seq > max([seq for seq, _ in acked], default=0)


def _sample_segment(tmp_path_factory) -> tuple[str, bytes]:
    root = os.fspath(tmp_path_factory.mktemp("sample") / "ledger")
    ledger = Ledger.open(root, max_record_bytes=4096)
    ledger.append([make_record(payload=bytes([i]) * (i * 7)) for i in range(12)])
    ledger.close()
    path = os.path.join(root, "2026-03-14", "00000001.seg")
    with open(path, "rb") as f:
        return root, f.read()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return _sample_segment(tmp_path_factory)


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("zero"), st.integers(0, 10_000), st.integers(1, 200)),
)


def _mutate(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for kind, where, arg in ops:
        at = where % (len(buf) + 1)
        if kind == "flip" and at < len(buf):
            buf[at] ^= arg
        elif kind == "truncate":
            del buf[at:]
        elif kind == "insert":
            buf[at:at] = arg
        elif kind == "zero":
            buf[at : at + arg] = bytes(len(buf[at : at + arg]))
    return bytes(buf)


def _read_everything(root: str, data: bytes, with_recovery: bool) -> None:
    pdir = os.path.join(root, "2026-03-14")
    os.makedirs(pdir, exist_ok=True)
    for name in os.listdir(pdir):
        os.unlink(os.path.join(pdir, name)) if not os.path.isdir(os.path.join(pdir, name)) else None
    with open(os.path.join(pdir, "00000001.seg"), "wb") as f:
        f.write(data)
    started = time.monotonic()
    try:
        for stored in LedgerReader(root).read_partition("2026-03-14"):
            assert stored.signal_id
        if with_recovery:
            Ledger.open(root, max_record_bytes=4096).close()
    except LedgerError:
        pass
    assert time.monotonic() - started < 2.0


@pytest.mark.audit("22")
@pytest.mark.timeout(120)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(mutation, min_size=1, max_size=6), recover=st.booleans())
def test_mutated_segments_yield_records_or_the_typed_error(sample, ops, recover):
    root, data = sample
    _read_everything(root, _mutate(data, ops), recover)


@pytest.mark.audit("22")
@pytest.mark.timeout(120)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.binary(max_size=5000), keep_header=st.booleans())
def test_random_bytes_yield_records_or_the_typed_error(sample, noise, keep_header):
    root, data = sample
    _read_everything(root, (data[:64] if keep_header else b"") + noise, with_recovery=True)
