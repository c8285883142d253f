"""Every error the ledger raises, in one place.

``LedgerError`` is the base; callers that only need "the ledger failed" catch that. The
Django side maps ``LedgerBusy`` to 503 ``ledger_busy`` and every other ``LedgerError`` on the
write path to 503 ``ledger_unavailable``.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of all ledger errors."""


class LedgerCorruption(LedgerError):
    """Bytes on disk that are not what the ledger wrote: bad checksum, length, or header.

    ``partition``, ``segment``, ``offset`` locate the damage; ``seq_before``/``seq_after`` are
    the sequence numbers of the valid records around it (``None`` when there is none).
    """

    def __init__(
        self,
        message: str,
        *,
        partition: str = "",
        segment: int | None = None,
        offset: int | None = None,
        length: int | None = None,
        seq_before: int | None = None,
        seq_after: int | None = None,
    ):
        super().__init__(message)
        self.partition = partition
        self.segment = segment
        self.offset = offset
        self.length = length
        self.seq_before = seq_before
        self.seq_after = seq_after


class ForeignSegment(LedgerCorruption):
    """A segment written by another ledger, for another partition or under another number."""


class UnsupportedFormat(ForeignSegment):
    """A segment or metadata file in a format version this code does not read."""


class LedgerBusy(LedgerError):
    """The append queue is full; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float = 1.0):
        super().__init__(message)
        self.retry_after = retry_after


class LedgerWriteError(LedgerError):
    """A write or fsync failed. Nothing in the failed call was acknowledged.

    The ledger instance stops acknowledging after this; reopen it to recover.
    """


class LedgerClosed(LedgerError):
    """The ledger was closed."""


class RecordTooLarge(LedgerError):
    """A record larger than the configured maximum; refused before anything is allocated."""


class InvalidRecord(LedgerError):
    """A record that cannot be framed (naive datetime, empty or over-long id)."""


class PartitionSealed(LedgerError):
    """The target partition is sealed and read-only."""

    def __init__(self, partition: str):
        super().__init__(f"partition {partition} is sealed")
        self.partition = partition


class UnknownPartition(LedgerError):
    """A partition name that is not a date or a date followed by ``-late``."""
