"""One reconciler per date at a time: an OS file lock under the ledger directory.

Why ``fcntl.flock`` and not a lease row in the database: the kernel drops the lock the moment
its holder dies, SIGKILL included, so no expiry has to be guessed (a lease that is too short
lets a slow but live run be joined by a second one; one that is too long blocks recovery after
a crash). Each OMEN node reconciles its own ledger, so a lock local to the node's ledger volume
covers exactly the processes that can touch it. The lock is per date, because a date's main and
``-late`` partitions are compared with the same RiskCast partition. flock locks belong to an
open file description, so two threads of one process exclude each other too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

LOCK_DIR = ".reconcile-locks"


class LockHeld(Exception):
    """Another reconciler holds the lock."""


@contextlib.contextmanager
def partition_lock(ledger_dir: str | os.PathLike, date: str) -> Iterator[None]:
    """Hold the reconcile lock of ``date`` (``YYYY-MM-DD``) or raise ``LockHeld`` at once."""
    directory = os.path.join(os.fspath(ledger_dir), LOCK_DIR)
    os.makedirs(directory, exist_ok=True)
    fd = os.open(os.path.join(directory, f"{date}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(date) from None
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
