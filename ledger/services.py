"""Writes to the ledger: the process-wide instance and the one append service.

The producer API calls ``ledger_append`` *before* anything else happens to a signal; it
returns only once every record is fsync'd, and turns every ledger failure into the API's
error taxonomy (503 ``ledger_busy`` with ``Retry-After``, 503 ``ledger_unavailable``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings

from ledger import core
from ledger.core import LedgerRecord, Position
from ledger.metrics import BUSY_TOTAL, PrometheusObserver
from omenproject.errors import LedgerBusy, LedgerUnavailable, PayloadTooLarge, ValidationFailed

logger = logging.getLogger("omen.ledger")

_lock = threading.Lock()
_ledger: core.Ledger | None = None


def get_ledger() -> core.Ledger:
    """The process's ledger, opened (and recovered) on first use.

    After a failed write the instance stops acknowledging; the next call reopens it, which
    runs recovery, so the process heals without a restart.
    """
    global _ledger  # noqa: PLW0603 - one ledger per process, by design
    with _lock:
        if _ledger is not None and _ledger.failed is not None:
            logger.warning("reopening the ledger after a failed write", extra={"error": str(_ledger.failed)})
            _ledger.close()
            _ledger = None
        if _ledger is None:
            _ledger = core.Ledger.open(
                settings.LEDGER_DIR,
                node_id=settings.OMEN_NODE_ID,
                segment_max_bytes=settings.LEDGER_SEGMENT_MAX_BYTES,
                segment_max_records=settings.LEDGER_SEGMENT_MAX_RECORDS,
                max_record_bytes=settings.LEDGER_MAX_RECORD_BYTES,
                queue_max=settings.LEDGER_QUEUE_MAX,
                observer=PrometheusObserver(),
            )
        return _ledger


def close_ledger() -> None:
    """Flush (wait for the commit in progress) and close; called at shutdown and by tests."""
    global _ledger  # noqa: PLW0603
    with _lock:
        if _ledger is not None:
            _ledger.close()
            _ledger = None


def ledger_append(records: Sequence[LedgerRecord]) -> list[Position]:
    """Append ``records`` durably; return their positions in the same order.

    Raises ``omenproject.errors.LedgerBusy`` (queue full, retry later),
    ``LedgerUnavailable`` (nothing was stored), ``PayloadTooLarge`` or ``ValidationFailed``
    (a record the ledger cannot frame). On any error no record of the call is acknowledged.
    """
    try:
        return get_ledger().append(records)
    except core.LedgerBusy as exc:
        BUSY_TOTAL.inc()
        raise LedgerBusy(retry_after=settings.LEDGER_BUSY_RETRY_AFTER_S) from exc
    except core.RecordTooLarge as exc:
        raise PayloadTooLarge(str(exc), details={"max_record_bytes": settings.LEDGER_MAX_RECORD_BYTES}) from exc
    except core.InvalidRecord as exc:
        raise ValidationFailed(str(exc)) from exc
    except core.PartitionSealed as exc:
        raise LedgerUnavailable(
            f"partition {exc.partition} is sealed", details={"reason": "partition_sealed", "partition": exc.partition}
        ) from exc
    except (core.LedgerError, OSError) as exc:
        logger.error("ledger append failed", extra={"error": str(exc), "records": len(records)})
        raise LedgerUnavailable(details={"reason": exc.__class__.__name__}) from exc


def _grace() -> timedelta:
    return timedelta(seconds=settings.LEDGER_SEAL_GRACE_S)


def ledger_seal(*, partition: str | None = None, force: bool = False, dry_run: bool = False) -> list[core.SealResult]:
    """Seal one partition, or every main partition that is due (day end + grace)."""
    ledger = get_ledger()
    names = [partition] if partition else core.partitions_due(ledger, _grace())
    return [core.seal_partition(ledger, name, grace=_grace(), force=force, dry_run=dry_run) for name in names]


def ledger_verify(*, partition: str | None = None) -> core.VerifyReport:
    """Check every frame, segment header and seal manifest (of one partition or all)."""
    return core.verify(get_ledger(), partition)


def current_failure() -> core.LedgerWriteError | None:
    """The write error the open ledger stopped on, if any (for readiness)."""
    ledger = _ledger
    return None if ledger is None else ledger.failed
