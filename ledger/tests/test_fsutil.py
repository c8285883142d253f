"""The seam itself: every test that wraps ``fsutil.fsync`` relies on it reaching the kernel."""

from __future__ import annotations

import os

import pytest

from ledger.core import fsutil


@pytest.fixture
def os_fsyncs(monkeypatch):
    """The paths ``os.fsync`` was called on (and it still runs)."""
    calls: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        calls.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return calls


@pytest.mark.audit("16")
def test_fsync_reaches_the_kernel_for_the_file_it_is_given(tmp_path, os_fsyncs):
    path = tmp_path / "segment"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"frame")
        fsutil.fsync(fd)
    finally:
        os.close(fd)
    assert os_fsyncs == [str(path)]


@pytest.mark.audit("16")
@pytest.mark.audit("17")
def test_fsync_dir_reaches_the_kernel_for_the_directory(tmp_path, os_fsyncs):
    fsutil.fsync_dir(tmp_path)
    assert os_fsyncs == [str(tmp_path)]


@pytest.mark.audit("17")
def test_makedirs_durable_fsyncs_each_parent_after_the_new_entry(tmp_path, os_fsyncs):
    fsutil.makedirs_durable(str(tmp_path / "a" / "b"))
    assert os_fsyncs == [str(tmp_path), str(tmp_path / "a")]


def test_a_failed_fsync_is_raised_not_swallowed(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    os.close(fd)
    with pytest.raises(OSError):
        fsutil.fsync(fd)  # a closed descriptor: EBADF
