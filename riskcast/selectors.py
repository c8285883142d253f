"""RiskCast's reads: processed ids per partition (keyset-paged) and the partition summary."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from riskcast.digest import combine
from riskcast.models import ProcessedSignal


@dataclass(frozen=True)
class IdsPage:
    items: list[tuple[str, str]]  # (signal_id, payload_hash), ordered by signal_id
    next_cursor: str | None


@dataclass(frozen=True)
class PartitionSummary:
    partition: str
    count: int
    digest: str


def processed_ids_query(*, partition: str, after: str | None, limit: int) -> QuerySet:
    """Ids of ``partition`` after ``after`` in id order (served by ``riskcast_partition_signal``)."""
    queryset = ProcessedSignal.objects.filter(partition=partition)
    if after is not None:
        queryset = queryset.filter(signal_id__gt=after)
    return queryset.order_by("signal_id").values_list("signal_id", "payload_hash")[:limit]


def processed_ids_page(*, partition: str, after: str | None, limit: int) -> IdsPage:
    """One page of ids with their payload hashes. The cursor is the last id served, so rows
    inserted while a client pages never shift or repeat what it has already seen."""
    rows = list(processed_ids_query(partition=partition, after=after, limit=limit + 1))
    has_more = len(rows) > limit
    items = rows[:limit]
    return IdsPage(items=items, next_cursor=items[-1][0] if has_more else None)


def partition_summary(*, partition: str) -> PartitionSummary:
    """Count and order-independent digest of the partition's ids (``riskcast.digest``), read
    from the covering index ``riskcast_partition_digest``."""
    totals = ProcessedSignal.objects.filter(partition=partition).aggregate(
        count=Count("*"), hi=Sum("id_hash_hi"), lo=Sum("id_hash_lo")
    )
    return PartitionSummary(
        partition=partition, count=totals["count"], digest=combine(totals["hi"] or 0, totals["lo"] or 0)
    )
