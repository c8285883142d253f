"""The drain worker: re-deliver what the hot path could not, and keep the state in step with the ledger.

The delivery table is derived data. ``delivery_catch_up`` adds every ledger record the table
lacks as ``PENDING`` (records fsync'd before a crash that never got their row), and
``delivery_rebuild`` recreates the whole table from the ledger. ``drain_once`` re-delivers
``LEDGER_ONLY`` and stale ``PENDING`` signals in ledger order, through the same client, breaker
and bulkhead as the hot path; RiskCast's exactly-once ingest makes a second delivery a
``DUPLICATE``, never a second copy.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from emitter.client import DeliveryRequest, get_client
from emitter.metrics import DRAIN_BACKLOG
from emitter.models import UNDELIVERED_STATUSES, Delivery, DeliveryStatus
from emitter.services import delivery_record_outcomes
from ledger.core import StoredRecord
from ledger.selectors import ledger_records_by_seq, ledger_records_by_signal_id
from omenproject.lifecycle import StoppableWorker
from omenproject.signals import MAX_BATCH, payload_hash, upgrade_event

logger = logging.getLogger("omen.drain")
_CATCH_UP_BATCH = 1000


def _row_for(stored: StoredRecord) -> Delivery:
    event = upgrade_event(json.loads(stored.record.payload))
    return Delivery(
        signal_id=stored.signal_id,
        partition=stored.position.partition,
        seq=stored.seq,
        input_event_hash=event["input_event_hash"],
        payload_hash=payload_hash(event),
        trace_id=stored.record.trace_id,
        emitted_at=datetime.fromisoformat(event["emitted_at"]),
    )


def delivery_catch_up() -> int:
    """Add a ``PENDING`` row for every ledger record after the table's highest seq."""
    start = (Delivery.objects.aggregate(high=Max("seq"))["high"] or 0) + 1
    added, batch = 0, []
    for stored in ledger_records_by_seq(start, 2**62):
        batch.append(_row_for(stored))
        if len(batch) >= _CATCH_UP_BATCH:
            added += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        added += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
    if added:
        logger.warning("delivery state caught up from the ledger", extra={"added": added, "from_seq": start})
    return added


def delivery_rebuild() -> int:
    """Recreate the whole delivery table from the ledger; every signal starts ``PENDING``.

    The next drain re-delivers them all; RiskCast answers ``duplicate`` for what it has.
    """
    with transaction.atomic():
        Delivery.objects.all().delete()
    return delivery_catch_up()


@dataclass
class DrainReport:
    attempted: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    missing_in_ledger: int = 0

    def summary(self) -> str:
        parts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(self.outcomes.items())) or "nothing to do"
        return f"drained {self.attempted}: {parts}"


def _due(now: datetime) -> Q:
    # A PENDING row younger than the grace may still be on its hot path: leave it alone.
    stale = now - timedelta(seconds=settings.EMITTER_DRAIN_PENDING_GRACE_S)
    return Q(status=DeliveryStatus.LEDGER_ONLY) | Q(status=DeliveryStatus.PENDING, updated_at__lt=stale)


def drain_once(*, batch_size: int | None = None) -> DrainReport:
    """Re-deliver one batch of undelivered signals in ledger order."""
    report = DrainReport()
    rows = list(
        Delivery.objects.filter(_due(timezone.now())).order_by("seq")[: batch_size or settings.EMITTER_DRAIN_BATCH]
    )
    requests, sent = [], []
    for row in rows:
        stored = ledger_records_by_signal_id(row.signal_id)
        if not stored:
            report.missing_in_ledger += 1
            logger.error("a delivery row has no ledger record", extra={"signal_id": row.signal_id})
            continue
        requests.append(DeliveryRequest(json.loads(stored[0].record.payload), row.payload_hash, row.trace_id))
        sent.append(row)
    client = get_client()
    for start in range(0, len(sent), MAX_BATCH):
        chunk = list(zip(sent[start : start + MAX_BATCH], requests[start : start + MAX_BATCH], strict=True))
        results = client.deliver_batch([request for _, request in chunk], replay_source="hot_path")
        delivery_record_outcomes([(row, result) for (row, _), result in zip(chunk, results, strict=True)])
        report.attempted += len(results)
        for result in results:
            report.outcomes[str(result.status)] = report.outcomes.get(str(result.status), 0) + 1
        if any(result.status == DeliveryStatus.LEDGER_ONLY for result in results):
            break  # RiskCast is away, or the breaker or bulkhead said no: the rest waits for the next round
    DRAIN_BACKLOG.set(Delivery.objects.filter(status__in=UNDELIVERED_STATUSES).count())
    return report


class DrainWorker(StoppableWorker):
    """Drain in rounds until stopped; ``stop()`` lets the current batch finish."""

    def __init__(self, *, interval_s: float, batch_size: int | None = None):
        super().__init__()
        self.interval_s = interval_s
        self.batch_size = batch_size

    def run(self) -> None:
        delivery_catch_up()
        while not self.stopping:
            try:
                report = drain_once(batch_size=self.batch_size)
            except Exception:  # a bad round must not kill the worker; the next one retries
                logger.exception("drain round failed")
                report = DrainReport()
            if report.attempted:
                logger.info(report.summary(), extra={"outcomes": report.outcomes})
            else:
                self.pause(self.interval_s)


_background: tuple[DrainWorker, threading.Thread] | None = None


def start_in_background() -> None:
    """The embedded mode's drain: a thread in the serving process (off with EMITTER_DRAIN_IN_PROCESS)."""
    global _background  # noqa: PLW0603 - one drain thread per process
    if not settings.EMITTER_DRAIN_IN_PROCESS or _background is not None:
        return
    worker = DrainWorker(interval_s=settings.EMITTER_DRAIN_INTERVAL_S)
    thread = threading.Thread(target=worker.run, name="omen-drain", daemon=True)
    thread.start()
    _background = (worker, thread)


def stop_background(timeout: float = 10.0) -> None:
    global _background  # noqa: PLW0603
    if _background is not None:
        worker, thread = _background
        worker.stop()
        thread.join(timeout)
        _background = None
