"""Durable file-system primitives: the single seam where the ledger calls fsync.

Every file the ledger creates, renames or deletes goes through these helpers so that the
directory entry is made durable too (``fsync_dir``). Tests wrap ``fsync`` and ``fsync_dir``
here to simulate a power loss.
"""

from __future__ import annotations

import os

TMP_SUFFIX = ".tmp"


def fsync(fd: int) -> None:
    """Make a file's data durable. Never retried by callers: a failure is final."""
    os.fsync(fd)


def fsync_dir(path: str | os.PathLike) -> None:
    """Make the directory entries of ``path`` durable (after create, rename or delete)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fsync(fd)
    finally:
        os.close(fd)


def makedirs_durable(path: str) -> None:
    """Create ``path`` and its missing parents, fsyncing each parent after the new entry."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(os.path.abspath(path))
    makedirs_durable(parent)
    try:
        os.mkdir(path)
    except FileExistsError:
        return
    fsync_dir(parent)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """``os.write`` until every byte is written (a short write is not an error by itself)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file, fsync, rename, directory fsync.

    A reader sees the old content or the new one, never a mix, and after a crash the
    old one or the new one survives, never an empty or partial file.
    """
    directory = os.path.dirname(path)
    tmp = f"{path}.{os.getpid()}{TMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, data)
        fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(directory)


def remove_durable(path: str) -> None:
    os.unlink(path)
    fsync_dir(os.path.dirname(path))


def remove_stale_temps(directory: str) -> int:
    """Delete leftover ``*.tmp`` files from an interrupted atomic write; return how many."""
    removed = 0
    for name in os.listdir(directory):
        if name.endswith(TMP_SUFFIX):
            os.unlink(os.path.join(directory, name))
            removed += 1
    if removed:
        fsync_dir(directory)
    return removed
