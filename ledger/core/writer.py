"""The ledger: durable appends with group commit, shared safely by threads and processes.

One ``Ledger`` per process. Appending threads queue their records; whichever thread finds no
commit in progress becomes the leader, takes everything queued, and under the ledger's OS
file lock (``flock`` on ``LOCK``) assigns seqs, writes the frames and fsyncs each touched
segment once. Followers wait for the leader and get their positions back. Several processes
on one node serialise on the same file lock and share the seq counter in ``SEQ``.

``SEQ`` is a hint, not a record of truth: a batch *reserves* its seqs there before writing
frames, so a crash can only leave a gap, never a reuse. It is not fsync'd; on open the
ledger takes the larger of it and the highest seq found in the segments.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ledger.core import fsutil
from ledger.core.errors import LedgerBusy, LedgerClosed, LedgerWriteError, PartitionSealed
from ledger.core.framing import (
    FRAME_HEADER_SIZE,
    HEADER_SIZE,
    LedgerRecord,
    Position,
    SegmentHeader,
    day_partition,
    encode_body,
    frame_header,
)
from ledger.core.metadata import (
    MANIFEST_FILE,
    QUARANTINE_DIR,
    current_inode,
    late_partition,
    list_partitions,
    load_or_create_identity,
    read_manifest,
    write_current,
)
from ledger.core.observer import LedgerObserver
from ledger.core.recovery import ActiveSegment, catch_up, load_active
from ledger.core.segment import create_segment

logger = logging.getLogger("omen.ledger")
_SEQ = struct.Struct("<QI")


@dataclass
class LedgerOptions:
    node_id: str = "node-1"
    segment_max_bytes: int = 64 * 1024 * 1024
    segment_max_records: int = 1_000_000
    max_record_bytes: int = 1024 * 1024
    queue_max: int = 10_000


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass
class _Sync:
    fd: int  # a dup of the segment's fd, owned by the commit
    start: int  # where this batch's frames begin in that segment
    end: int  # and end


@dataclass
class _Pending:
    bodies: list[bytes]
    records: Sequence[LedgerRecord]
    positions: list[Position] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False
    # Held from birth; released once to hand this caller the lead or its result. A plain lock
    # is several times cheaper to make than an Event, and an append makes one every time.
    wake: threading.Lock = field(default_factory=_held_lock)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """An open ledger directory. Use ``Ledger.open``; close it with ``close()``."""

    def __init__(self, directory: str, options: LedgerOptions, clock: Callable[[], datetime], observer):
        self.directory = os.path.abspath(directory)
        self.options = options
        self.clock = clock
        self.observer: LedgerObserver = observer or LedgerObserver()
        self.ledger_id = b""
        self._active: dict[str, ActiveSegment] = {}
        self._plock = threading.RLock()
        self._lock_depth = 0
        self._lock_fd = -1
        self._seq_fd = -1
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._inflight = 0
        self._more = threading.Condition(self._lock)  # a gathering leader waits on it
        self._gathering = False
        self._last_callers = 1
        self._last_fsync_s = 0.0
        self._queue: list[_Pending] = []
        self._queued_records = 0
        self._leader = False
        self._failed: LedgerWriteError | None = None
        self._closed = False

    # --- opening and closing --------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike,
        *,
        node_id: str = "node-1",
        segment_max_bytes: int = 64 * 1024 * 1024,
        segment_max_records: int = 1_000_000,
        max_record_bytes: int = 1024 * 1024,
        queue_max: int = 10_000,
        clock: Callable[[], datetime] = _utc_now,
        observer: LedgerObserver | None = None,
    ) -> Ledger:
        """Open (creating if needed) the ledger at ``directory`` and recover it.

        Recovery truncates torn tails, quarantines mid-segment corruption, removes leftover
        temp files and moves the seq counter past every record on disk.
        """
        options = LedgerOptions(node_id, segment_max_bytes, segment_max_records, max_record_bytes, queue_max)
        ledger = cls(os.fspath(directory), options, clock, observer)
        ledger._start()
        return ledger

    def _start(self) -> None:
        fsutil.makedirs_durable(self.directory)
        self._lock_fd = os.open(os.path.join(self.directory, "LOCK"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            with self._process_lock():
                self.ledger_id = load_or_create_identity(self.directory, self.options.node_id)
                self._seq_fd = os.open(os.path.join(self.directory, "SEQ"), os.O_RDWR | os.O_CREAT, 0o644)
                fsutil.fsync_dir(self.directory)
                fsutil.remove_stale_temps(self.directory)
                next_seq = self._read_seq()
                for name in list_partitions(self.directory):
                    pdir = os.path.join(self.directory, name)
                    fsutil.remove_stale_temps(pdir)
                    if os.path.isdir(os.path.join(pdir, QUARANTINE_DIR)):
                        fsutil.remove_stale_temps(os.path.join(pdir, QUARANTINE_DIR))
                    manifest = read_manifest(pdir)
                    if manifest is not None:
                        next_seq = max(next_seq, (manifest.last_seq or 0) + 1)
                        continue
                    active = load_active(self.directory, name, ledger_id=self.ledger_id, observer=self.observer)
                    if active is not None:
                        self._active[name] = active
                        next_seq = max(next_seq, active.last_seq + 1)
                self._write_seq(next_seq)
        except BaseException:
            self.close()
            raise
        logger.info("ledger opened", extra={"ledger_dir": self.directory, "next_seq": next_seq})

    def close(self) -> None:
        """Wait for the commit in progress, then release files. Further appends fail."""
        with self._lock:
            self._closed = True
            while self._leader or self._inflight:
                self._idle.wait()
        for active in self._active.values():
            active.close()
        self._active.clear()
        for fd in (self._seq_fd, self._lock_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._seq_fd = self._lock_fd = -1

    @property
    def failed(self) -> LedgerWriteError | None:
        return self._failed

    # --- the process lock and the shared seq counter ----------------------------------------

    @contextlib.contextmanager
    def _process_lock(self) -> Iterator[None]:
        """Exclusive across threads (RLock) and processes (flock); re-entrant in a thread."""
        self._acquire_process_lock()
        try:
            yield
        finally:
            self._release_process_lock()

    def _acquire_process_lock(self) -> None:
        self._plock.acquire()
        if self._lock_depth == 0:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            except BaseException:
                self._plock.release()
                raise
        self._lock_depth += 1

    def _release_process_lock(self) -> None:
        self._lock_depth -= 1
        try:
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._plock.release()

    def _read_seq(self) -> int:
        raw = os.pread(self._seq_fd, _SEQ.size, 0)
        if len(raw) != _SEQ.size:
            return 1
        value, crc = _SEQ.unpack(raw)
        return value if crc == zlib.crc32(raw[:8]) and value > 0 else 1

    def _write_seq(self, next_seq: int) -> None:
        raw = struct.pack("<Q", next_seq)
        os.pwrite(self._seq_fd, raw + struct.pack("<I", zlib.crc32(raw)), 0)

    # --- appending --------------------------------------------------------------------------

    def append(self, records: Sequence[LedgerRecord]) -> list[Position]:
        """Store ``records`` durably and return their positions, in order.

        Returns only after every record is written and fsync'd. One call costs one fsync per
        touched segment; concurrent calls from threads share it. Raises ``LedgerBusy`` when
        the queue is full, ``RecordTooLarge``/``InvalidRecord`` for a bad record (nothing
        stored), ``PartitionSealed`` when a record's late partition is sealed too, and
        ``LedgerWriteError`` when a write or fsync fails (nothing acknowledged).
        """
        if not records:
            return []
        bodies = [encode_body(record, self.options.max_record_bytes) for record in records]
        pending = _Pending(bodies, records)
        with self._lock:
            self._check_writable()
            if self._queued_records and self._queued_records + len(records) > self.options.queue_max:
                raise LedgerBusy(f"append queue full ({self._queued_records} records waiting)")
            self._queue.append(pending)
            self._queued_records += len(records)
            lead = not self._leader
            self._leader = True
            if self._gathering:
                self._more.notify()
        if not lead:
            pending.wake.acquire()  # until the batch holding it is fsync'd, or it is handed the lead
        if not pending.done:
            self._lead()
        if pending.error is not None:
            raise pending.error
        return pending.positions

    def _check_writable(self) -> None:
        if self._closed:
            raise LedgerClosed("the ledger is closed")
        if self._failed is not None:
            raise LedgerWriteError(f"the ledger stopped acknowledging after a failed write: {self._failed}")

    def _lead(self) -> None:
        """Write and fsync everything queued, wake the batch, then hand the lead on.

        Callers that arrive meanwhile queue up and form the next batch. (Overlapping the next
        batch's write with this fsync was measured slower: concurrent fsyncs of one file
        serialise in the kernel and the batches get smaller.)
        """
        with self._lock:
            self._gather()
            batch, self._queue, self._queued_records = self._queue, [], 0
            self._last_callers = len(batch)
            self._inflight += 1
        try:
            self._sync(batch, self._write(batch))
        finally:
            for pending in batch:
                pending.done = True
                pending.wake.release()
            with self._lock:
                self._inflight -= 1
                if self._queue:
                    self._queue[0].wake.release()  # it leads the next batch; _leader stays True
                else:
                    self._leader = False
                self._idle.notify_all()

    def _gather(self) -> None:
        """Wait a moment for the callers the last commit just woke (lock held).

        They come straight back with their next record; without the wait the new leader
        commits almost alone and they form a batch of their own behind it. The wait is at
        most a fraction of one fsync and is skipped while a single caller appends.
        """
        target = self._last_callers
        if target <= 1 or len(self._queue) >= target:
            return
        deadline = time.monotonic() + min(0.001, self._last_fsync_s / 2)
        self._gathering = True
        try:
            while len(self._queue) < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._more.wait(remaining)
        finally:
            self._gathering = False

    def _write(self, batch: list[_Pending]) -> list[int]:
        """Assign seqs and write ``batch`` under the process lock; return fds to fsync."""
        try:
            if self._failed is not None or self._closed:
                raise LedgerWriteError(f"the ledger stopped acknowledging: {self._failed or 'closed'}")
            self._acquire_process_lock()  # (not a with-block: this is the hot path)
            try:
                return self._write_batch(batch)
            finally:
                self._release_process_lock()
        except BaseException as exc:
            for pending in batch:
                if pending.error is None:
                    pending.error = exc
            return []

    def _sync(self, batch: list[_Pending], syncs: list[_Sync]) -> None:
        """fsync each touched segment once (through its own fd: the writer may close its copy)."""
        live = [p for p in batch if p.error is None]
        try:
            started = time.perf_counter()
            for sync in syncs:
                fsutil.fsync(sync.fd)
            self._last_fsync_s = time.perf_counter() - started
            self.observer.fsynced(self._last_fsync_s)
        except OSError as exc:
            # Never retried: the pages may be gone while a second fsync would report success.
            self._failed = LedgerWriteError(f"fsync failed: {exc.__class__.__name__}: {exc}")
            self.observer.write_failed(exc)
            logger.error("ledger fsync failed; no longer acknowledging", extra={"error": str(exc)})
            for pending in live:
                pending.error = self._failed
            live = []
            self._take_back(syncs)
        finally:
            for sync in syncs:
                with contextlib.suppress(OSError):
                    os.close(sync.fd)
        if live:
            records = sum(len(p.bodies) for p in live)
            self.observer.group_committed(records, len(live))
            self.observer.appended(records)

    def _take_back(self, syncs: list[_Sync]) -> None:
        """Best effort after a failed fsync: cut off this batch's frames so they cannot
        resurface as records nobody acknowledged, unless another process appended since."""
        with contextlib.suppress(OSError), self._process_lock():
            for sync in syncs:
                if os.fstat(sync.fd).st_size == sync.end:
                    os.ftruncate(sync.fd, sync.start)
            for name in list(self._active):
                self.forget_partition(name)

    def _target_partition(self, day: str, sealed: dict[str, bool]) -> str:
        if day not in sealed:
            for name in (day, late_partition(day)):
                if not os.path.exists(f"{self.directory}/{name}/{MANIFEST_FILE}"):  # sealed?
                    sealed[day] = name
                    break
            else:
                raise PartitionSealed(late_partition(day))
        return sealed[day]

    def _write_batch(self, batch: list[_Pending]) -> list[int]:
        targets: dict[str, str] = {}
        plans: list[tuple[_Pending, list[str]]] = []
        for pending in batch:
            try:
                names = [self._target_partition(day_partition(body), targets) for body in pending.bodies]
                plans.append((pending, names))
            except PartitionSealed as exc:
                pending.error = exc
        if not plans:
            return []
        total = sum(len(p.bodies) for p, _ in plans)
        touched: dict[str, ActiveSegment] = {}
        buffers: dict[str, list[bytes]] = {}
        start_ends: dict[tuple[str, int], int] = {}
        try:
            seq = self._read_seq()
            self._write_seq(seq + total)  # reserve first: a crash leaves a gap, never a reuse
            max_bytes, max_records = self.options.segment_max_bytes, self.options.segment_max_records
            name, active, buffer = "", None, []
            # The loop runs once per record: it keeps the current partition's segment in
            # locals and only goes back to the dictionaries when the partition changes.
            for pending, names in plans:
                positions = pending.positions
                for body, record_name in zip(pending.bodies, names, strict=True):
                    if record_name != name:
                        name = record_name
                        active = touched.get(name) or self._refresh(name)
                        buffer = buffers.setdefault(name, [])
                        if active is not None:
                            start_ends.setdefault((name, active.segment), active.end)
                    frame_len = FRAME_HEADER_SIZE + len(body)
                    if active is None or (
                        active.records and (active.end + frame_len > max_bytes or active.records >= max_records)
                    ):
                        if active is not None:
                            self._flush(active, buffer)
                            fsutil.fsync(active.fd)  # a rolled-over segment is complete and durable
                        active = self._roll(name, active, seq)
                        start_ends[(name, active.segment)] = active.end
                    touched[name] = active
                    positions.append(Position(name, active.segment, active.end, seq))
                    buffer.append(frame_header(seq, body))
                    buffer.append(body)
                    active.end += frame_len
                    active.records += 1
                    active.last_seq = seq
                    seq += 1
            for name, active in touched.items():
                self._flush(active, buffers.get(name, []))
            return [
                _Sync(os.dup(active.fd), start_ends[(active.partition, active.segment)], active.end)
                for active in touched.values()
            ]
        except OSError as exc:
            self._fail(exc, touched, start_ends)
            raise self._failed from exc
        except BaseException:
            # Nothing of this batch was acknowledged; reload what it touched from the disk.
            for name in touched:
                self.forget_partition(name)
            raise

    def _flush(self, active: ActiveSegment, frames: list[bytes]) -> None:
        if frames:
            fsutil.write_all(active.fd, b"".join(frames))
            frames.clear()

    def _refresh(self, name: str) -> ActiveSegment | None:
        """This process's view of ``name``'s active segment, checked against the disk."""
        active = self._active.get(name)
        if active is not None and current_inode(f"{self.directory}/{name}") != active.current_ino:
            active.close()  # another process rolled over to a new segment
            del self._active[name]
            active = None
        if active is None:
            active = load_active(self.directory, name, ledger_id=self.ledger_id, observer=self.observer)
            if active is not None:
                self._active[name] = active
        elif os.fstat(active.fd).st_size != active.end:
            catch_up(active, self.observer)  # another process appended, or died mid-write
        return active

    def _roll(self, name: str, old: ActiveSegment | None, first_seq: int) -> ActiveSegment:
        """Start a new segment (the partition's first, or the next after ``old``)."""
        pdir = os.path.join(self.directory, name)
        fsutil.makedirs_durable(pdir)
        number = 1 if old is None else old.segment + 1
        header = SegmentHeader(number, first_seq, self.options.max_record_bytes, self.ledger_id, name)
        path = create_segment(pdir, header)
        write_current(pdir, number)
        if old is not None:
            old.close()
        active = ActiveSegment(
            partition=name,
            directory=pdir,
            segment=number,
            fd=os.open(path, os.O_WRONLY | os.O_APPEND),
            end=HEADER_SIZE,
            records=0,
            first_seq=first_seq,
            last_seq=first_seq - 1,
            max_record_bytes=self.options.max_record_bytes,
            current_ino=current_inode(pdir),
        )
        self._active[name] = active
        return active

    def _fail(self, exc: OSError, touched: dict[str, ActiveSegment], start_ends: dict[tuple[str, int], int]) -> None:
        """A write or fsync failed: stop acknowledging until reopened (fsync is never retried)."""
        self._failed = LedgerWriteError(f"{exc.__class__.__name__}: {exc}")
        self.observer.write_failed(exc)
        logger.error("ledger write failed; no longer acknowledging", extra={"error": str(exc)})
        for active in touched.values():
            # Best effort: take back the unacknowledged frames so they do not resurface.
            with contextlib.suppress(OSError):
                os.ftruncate(active.fd, start_ends.get((active.partition, active.segment), active.end))
            active.close()
        self._active.clear()

    # --- helpers for seal, verify and stats (see ledger.core.seal) ----------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the process lock: no append commits in this or any other process meanwhile."""
        with self._process_lock():
            yield

    def forget_partition(self, name: str) -> None:
        active = self._active.pop(name, None)
        if active is not None:
            active.close()

    def refresh_partition(self, name: str) -> ActiveSegment | None:
        """Repair and return the active segment of ``name``; call with the lock held."""
        return self._refresh(name)

    def next_seq(self) -> int:
        return self._read_seq()
