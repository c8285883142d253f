"""The ledger's pure-Python core: no Django here, so it is tested with plain files.

Public API::

    ledger = Ledger.open(directory, node_id=..., segment_max_bytes=..., segment_max_records=...,
                         max_record_bytes=..., queue_max=..., clock=...)
    positions = ledger.append([LedgerRecord(signal_id, emitted_at, payload, trace_id), ...])
    reader = LedgerReader(directory)            # read_partition / read_seq_range / read_time_range
    SignalIndex(reader).lookup(signal_id)       # by signal_id, without a full scan
    seal_partition(ledger, partition, grace=...), verify(ledger, partition)
"""

from ledger.core.errors import (
    ForeignSegment,
    InvalidRecord,
    LedgerBusy,
    LedgerClosed,
    LedgerCorruption,
    LedgerError,
    LedgerWriteError,
    PartitionSealed,
    RecordTooLarge,
    UnknownPartition,
    UnsupportedFormat,
)
from ledger.core.framing import LedgerRecord, Position, StoredRecord
from ledger.core.index import SignalIndex
from ledger.core.observer import LedgerObserver
from ledger.core.reader import LedgerReader
from ledger.core.seal import SealNotDue, SealResult, VerifyReport, partitions_due, seal_partition, verify
from ledger.core.writer import Ledger

__all__ = [
    "ForeignSegment",
    "InvalidRecord",
    "Ledger",
    "LedgerBusy",
    "LedgerClosed",
    "LedgerCorruption",
    "LedgerError",
    "LedgerObserver",
    "LedgerReader",
    "LedgerRecord",
    "LedgerWriteError",
    "PartitionSealed",
    "Position",
    "RecordTooLarge",
    "SealNotDue",
    "SealResult",
    "SignalIndex",
    "StoredRecord",
    "UnknownPartition",
    "UnsupportedFormat",
    "VerifyReport",
    "partitions_due",
    "seal_partition",
    "verify",
]
