"""Reads of the producer API: delivery state joined with the ledger record."""

from __future__ import annotations

import json
from datetime import datetime

from django.db.models import QuerySet

from emitter.models import Delivery
from ledger.selectors import ledger_records_by_signal_id
from omenproject.signals import upgrade_event


def deliveries(
    *,
    partition: str | None = None,
    status: str | None = None,
    emitted_after: datetime | None = None,
    emitted_before: datetime | None = None,
) -> QuerySet[Delivery]:
    queryset = Delivery.objects.all()
    if partition:
        queryset = queryset.filter(partition=partition)
    if status:
        queryset = queryset.filter(status=status)
    if emitted_after:
        queryset = queryset.filter(emitted_at__gte=emitted_after)
    if emitted_before:
        queryset = queryset.filter(emitted_at__lt=emitted_before)
    return queryset


def ledger_event(signal_id: str) -> dict | None:
    """The event as the ledger holds it, upgraded to the current schema version."""
    records = ledger_records_by_signal_id(signal_id)
    if not records:
        return None
    return upgrade_event(json.loads(records[0].record.payload))
