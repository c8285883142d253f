"""The ``signal_id`` index: a SQLite file next to the segments, derived and rebuildable.

The append path never touches it, so it costs writers nothing. Each lookup first *catches
up*: for every segment it remembers how far it has indexed, and reads only the bytes added
since (a ``stat`` per segment when nothing changed; sealed partitions that are fully indexed
are skipped outright). The segments stay the truth: a row whose record is not where it
says is dropped, a segment shorter than what was indexed is re-indexed, and a damaged
index file is deleted and rebuilt.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading

from ledger.core.framing import HEADER_SIZE, Position, StoredRecord, decode_body
from ledger.core.metadata import is_sealed
from ledger.core.reader import LedgerReader
from ledger.core.segment import Frame, Tail, list_segments, read_header, scan_frames, segment_name

INDEX_FILE = "index.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    signal_id TEXT NOT NULL, seq INTEGER NOT NULL,
    partition TEXT NOT NULL, segment INTEGER NOT NULL, offset INTEGER NOT NULL,
    PRIMARY KEY (partition, segment, offset)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_signal_id ON entries (signal_id);
CREATE TABLE IF NOT EXISTS progress (
    partition TEXT NOT NULL, segment INTEGER NOT NULL,
    indexed_to INTEGER NOT NULL, last_seq INTEGER, records INTEGER NOT NULL,
    PRIMARY KEY (partition, segment)
);
CREATE TABLE IF NOT EXISTS complete (partition TEXT PRIMARY KEY);
"""


class SignalIndex:
    """Lookup of records by ``signal_id`` without scanning the segments."""

    def __init__(self, reader: LedgerReader):
        self.reader = reader
        self.path = os.path.join(reader.directory, INDEX_FILE)
        self._lock = threading.Lock()
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            return self._open_db()
        except sqlite3.DatabaseError:
            # Derived data: a damaged index is thrown away and rebuilt from the segments.
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path + suffix)
            return self._open_db()

    def _open_db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute("SELECT count(*) FROM progress").fetchone()
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def catch_up(self) -> int:
        """Index every record added since the last call; return how many were added."""
        added = 0
        with self._lock:
            complete = {row[0] for row in self._db.execute("SELECT partition FROM complete")}
            for partition in self.reader.partitions():
                if partition in complete:
                    continue
                pdir = os.path.join(self.reader.directory, partition)
                sealed = is_sealed(pdir)  # read before the sizes: a sealed size is final
                numbers = list_segments(pdir)
                all_done = True
                for number in numbers:
                    count, done = self._catch_up_segment(partition, number)
                    added += count
                    all_done = all_done and done
                if sealed and all_done:
                    self._db.execute("INSERT OR IGNORE INTO complete VALUES (?)", (partition,))
        return added

    def _catch_up_segment(self, partition: str, number: int) -> tuple[int, bool]:
        path = os.path.join(self.reader.directory, partition, segment_name(number))
        row = self._db.execute(
            "SELECT indexed_to, last_seq, records FROM progress WHERE partition=? AND segment=?", (partition, number)
        ).fetchone()
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if row is not None and row[0] == size:
                return 0, True
            if row is not None and row[0] > size:
                self._forget_segment(partition, number)
                row = None
            header = read_header(f, partition=partition, segment=number, ledger_id=self.reader.ledger_id)
            start, last_seq, records = row if row is not None else (HEADER_SIZE, None, 0)
            indexed_to, rows = start, []
            for item in scan_frames(
                f,
                start=start,
                end=size,
                first_seq=header.first_seq,
                max_record_bytes=header.max_record_bytes,
                last_seq=last_seq,
            ):
                if isinstance(item, Frame):
                    sid = decode_body(item.body).signal_id
                    rows.append((sid, item.seq, partition, number, item.offset))
                    indexed_to, last_seq = item.end, item.seq
                elif isinstance(item, Tail):
                    break  # maybe a frame being written: index it next time
                else:
                    indexed_to = item.offset + item.length
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", rows)
            self._db.execute(
                "INSERT OR REPLACE INTO progress VALUES (?, ?, ?, ?, ?)",
                (partition, number, indexed_to, last_seq, records + len(rows)),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return len(rows), indexed_to == size

    def _forget_segment(self, partition: str, number: int) -> None:
        self._db.execute("DELETE FROM entries WHERE partition=? AND segment=?", (partition, number))
        self._db.execute("DELETE FROM progress WHERE partition=? AND segment=?", (partition, number))
        self._db.execute("DELETE FROM complete WHERE partition=?", (partition,))

    def marks(self) -> dict[str, tuple[int, int | None]]:
        """``{partition: (records, highest seq)}`` as indexed (call ``catch_up`` first)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT partition, sum(records), max(last_seq) FROM progress GROUP BY partition"
            ).fetchall()
        return {p: (records or 0, high) for p, records, high in rows}

    def lookup(self, signal_id: str) -> list[StoredRecord]:
        """Every record stored under ``signal_id``, in seq order (normally zero or one)."""
        self.catch_up()
        with self._lock:
            rows = self._db.execute(
                "SELECT partition, segment, offset, seq FROM entries WHERE signal_id=? ORDER BY seq", (signal_id,)
            ).fetchall()
        found = []
        for partition, segment, offset, seq in rows:
            stored = self.reader.read_at(Position(partition, segment, offset, seq))
            if stored is not None and stored.signal_id == signal_id:
                found.append(stored)
        return found

    def counts(self) -> dict[str, tuple[int, int]]:
        """``{partition: (segments, records)}`` as indexed (call ``catch_up`` first)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT partition, count(*), sum(records) FROM progress GROUP BY partition"
            ).fetchall()
        return {p: (segments, records or 0) for p, segments, records in rows}
