"""The producer path: ledger first, then the hot path to RiskCast, then the delivery state.

``signals_submit`` is the one write service of the producer API. Order matters and is the
product's promise: (1) the events are framed and fsync'd in the ledger — if that fails the
caller gets 503 and nothing is sent anywhere; (2) the delivery state records them as
``PENDING``; (3) the hot path tries RiskCast through the breaker and bulkhead; (4) the state
takes the outcome. A crash after (1) loses nothing: the state is rebuilt from the ledger.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from emitter.client import DeliveryRequest, get_client
from emitter.models import DELIVERED_STATUSES, Delivery, DeliveryStatus
from emitter.outcome import DeliveryResult
from ledger.core import LedgerRecord, Position
from ledger.services import ledger_append
from omenproject.errors import Conflict
from omenproject.signals import build_event, canonical_json, payload_hash

# Striped in-process locks: two concurrent posts of the same content must not both append.
_STRIPES = [threading.Lock() for _ in range(64)]


def _stripes_for(signal_ids: Iterable[str]) -> list[threading.Lock]:
    indexes = sorted({int(hashlib.blake2b(s.encode(), digest_size=2).hexdigest(), 16) % 64 for s in signal_ids})
    return [_STRIPES[i] for i in indexes]


@dataclass(frozen=True)
class Submitted:
    """One signal's answer to its producer."""

    signal_id: str
    status: str
    partition: str
    seq: int
    trace_id: str
    new: bool

    @property
    def delivered(self) -> bool:
        return self.status in DELIVERED_STATUSES


def _answer(row: Delivery, *, new: bool) -> Submitted:
    return Submitted(row.signal_id, row.status, row.partition, row.seq, row.trace_id, new)


def signals_submit(*, contents: list[dict], trace_id: str, now: datetime | None = None) -> list[Submitted]:
    """Accept validated signal contents: ledger first, then the hot path. One answer per item.

    Re-posting content already accepted appends nothing and returns the original position and
    status. Raises ``Conflict`` (409) when a ``signal_id`` is known with other content, and the
    ledger's ``LedgerUnavailable``/``LedgerBusy`` (503) when nothing could be stored.
    """
    emitted_at = now or timezone.now()
    events = [build_event(content, trace_id=trace_id, emitted_at=emitted_at) for content in contents]
    by_id: dict[str, dict] = {}
    for event in events:
        by_id.setdefault(event["signal_id"], event)
    with ExitStack() as stack:
        for lock in _stripes_for(by_id):
            stack.enter_context(lock)
        known = {row.signal_id: row for row in Delivery.objects.filter(signal_id__in=list(by_id))}
        for signal_id, row in known.items():
            if row.input_event_hash != by_id[signal_id]["input_event_hash"]:
                raise Conflict(details={"signal_id": signal_id})
        fresh = [event for signal_id, event in by_id.items() if signal_id not in known]
        rows = _append_and_record(fresh) if fresh else []
    delivered = {row.signal_id: row for row in _deliver(rows)}
    answers = {**{sid: _answer(row, new=False) for sid, row in known.items()}}
    answers |= {sid: _answer(row, new=True) for sid, row in delivered.items()}
    return [answers[event["signal_id"]] for event in events]


def _append_and_record(events: list[dict]) -> list[tuple[Delivery, dict]]:
    records = [
        LedgerRecord(
            signal_id=event["signal_id"],
            emitted_at=datetime.fromisoformat(event["emitted_at"]),
            payload=canonical_json(event),
            trace_id=event["trace_id"],
        )
        for event in events
    ]
    positions: list[Position] = ledger_append(records)  # fsync'd, or raises: nothing else happens
    rows = [
        Delivery(
            signal_id=event["signal_id"],
            partition=position.partition,
            seq=position.seq,
            input_event_hash=event["input_event_hash"],
            payload_hash=payload_hash(event),
            trace_id=event["trace_id"],
            emitted_at=datetime.fromisoformat(event["emitted_at"]),
        )
        for event, position in zip(events, positions, strict=True)
    ]
    Delivery.objects.bulk_create(rows)
    return list(zip(rows, events, strict=True))


def _deliver(rows: list[tuple[Delivery, dict]]) -> list[Delivery]:
    """The hot path: one POST for one signal, one batch POST (``MAX_BATCH`` at most) for a batch."""
    client = get_client()
    if len(rows) == 1:
        ((row, event),) = rows
        results = [client.deliver(event, payload_hash=row.payload_hash, trace_id=row.trace_id)]
    else:
        results = client.deliver_many([DeliveryRequest(e, r.payload_hash, r.trace_id) for r, e in rows])
    delivery_record_outcomes([(row, result) for (row, _), result in zip(rows, results, strict=True)])
    return [row for row, _ in rows]


def delivery_record_outcomes(outcomes: list[tuple[Delivery, DeliveryResult]]) -> None:
    """Store each delivery attempt's outcome in one transaction, never downgrading a delivered signal.

    Each ``row`` is updated in place with what the table holds afterwards (a signal another
    worker delivered meanwhile stays delivered).
    """
    now = timezone.now()
    with transaction.atomic():
        for row, result in outcomes:
            row.status = str(result.status)
            row.attempts += 1
            row.ack_id = result.ack_id or row.ack_id
            row.last_error = (result.error or "")[:2000]
            row.updated_at = now
            Delivery.objects.filter(pk=row.pk).exclude(status__in=DELIVERED_STATUSES).update(
                status=row.status,
                attempts=row.attempts,
                ack_id=row.ack_id,
                last_error=row.last_error,
                updated_at=row.updated_at,
            )
        stored = Delivery.objects.filter(pk__in=[row.pk for row, _ in outcomes]).values_list(
            "pk", "status", "attempts", "ack_id", "last_error"
        )
        by_pk = {pk: rest for pk, *rest in stored}
    for row, _ in outcomes:
        row.status, row.attempts, row.ack_id, row.last_error = by_pk[row.pk]


__all__ = ["DeliveryStatus", "Submitted", "delivery_record_outcomes", "signals_submit"]
