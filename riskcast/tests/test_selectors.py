"""Processed ids per partition: ordered keyset paging on an index, and the summary digest."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.db import connections

from riskcast.digest import ids_digest
from riskcast.intake import incoming
from riskcast.selectors import partition_summary, processed_ids_query
from riskcast.services import signals_ingest
from riskcast.tests.builders import make_events

pytestmark = pytest.mark.django_db(databases=["default", "riskcast"])
DAY = date(2026, 3, 1)
PARTITION = DAY.isoformat()
IDS_URL = f"/api/v1/riskcast/partitions/{PARTITION}/signal-ids"


def _store(events: list[dict]) -> None:
    signals_ingest(signals=[incoming(e) for e in events], source="hot_path", actor="test")


def _page_through(client, limit: int) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        body = client.get(IDS_URL, params).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.audit("35")
def test_paging_returns_every_id_of_the_partition_once_in_order_with_its_payload_hash(client_with_scopes):
    events = make_events(23, day=DAY)
    _store(events)
    _store(make_events(4, day=date(2026, 3, 2)))  # another partition stays out

    items = _page_through(client_with_scopes("riskcast:read"), limit=5)

    assert [i["signal_id"] for i in items] == sorted(e["signal_id"] for e in events)
    stored = {e["signal_id"]: incoming(e).payload_hash for e in events}
    assert {i["signal_id"]: i["payload_hash"] for i in items} == stored


@pytest.mark.audit("35")
def test_a_cursor_stays_valid_while_new_ids_arrive(client_with_scopes):
    client = client_with_scopes("riskcast:read")
    first_batch = make_events(10, day=DAY)
    _store(first_batch)
    first = client.get(IDS_URL, {"limit": 4}).json()
    late = make_events(10, day=DAY)
    _store(late)

    rest = _page_through_from(client, first["next_cursor"])

    seen = [i["signal_id"] for i in first["items"] + rest]
    assert len(seen) == len(set(seen))  # nothing served twice
    assert seen == sorted(seen)
    everything = sorted(e["signal_id"] for e in first_batch + late)
    assert set(everything) - set(seen) <= {s for s in everything if s < first["items"][-1]["signal_id"]}


def _page_through_from(client, cursor: str) -> list[dict]:
    items = []
    while cursor:
        body = client.get(IDS_URL, {"limit": 4, "cursor": cursor}).json()
        items += body["items"]
        cursor = body["next_cursor"]
    return items


def test_a_bad_cursor_or_limit_is_400(client_with_scopes):
    client = client_with_scopes("riskcast:read")
    assert client.get(IDS_URL, {"cursor": "%%%"}).status_code == 400
    assert client.get(IDS_URL, {"limit": 0}).status_code == 400
    assert client_with_scopes("riskcast:ingest").get(IDS_URL).status_code == 403


def _query_plan(sql: str, params) -> str:
    connection = connections["riskcast"]
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.audit("35")
def test_the_page_query_searches_the_partition_index_without_sorting():
    _store(make_events(30, day=DAY))
    query = processed_ids_query(partition=PARTITION, after="sig_0", limit=100)
    plan = _query_plan(*query.query.sql_with_params())
    assert "USING INDEX riskcast_partition_signal (partition=? AND signal_id>?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.audit("35")
def test_the_summary_reads_only_the_covering_digest_index():
    from django.db.models import Count, Sum

    from riskcast.models import ProcessedSignal

    query = (
        ProcessedSignal.objects.filter(partition=PARTITION)
        .values("partition")
        .annotate(n=Count("*"), hi=Sum("id_hash_hi"), lo=Sum("id_hash_lo"))
    )
    plan = _query_plan(*query.query.sql_with_params())
    assert "USING COVERING INDEX riskcast_partition_digest" in plan, plan


@pytest.mark.audit("35")
def test_the_summary_digest_is_equal_for_equal_sets_and_different_otherwise(client_with_scopes):
    events = make_events(40, day=DAY)
    shuffled = random.Random(7).sample(events, len(events))
    _store(shuffled[:25])
    _store(shuffled[25:])
    ids = [e["signal_id"] for e in events]

    summary = client_with_scopes("riskcast:read").get(f"/api/v1/riskcast/partitions/{PARTITION}/summary").json()

    assert summary["count"] == 40
    assert summary["digest"] == ids_digest(reversed(ids)) == ids_digest(ids)
    assert summary["digest"] != ids_digest(ids[:-1])
    assert summary["digest"] != ids_digest([*ids[:-1], "sig_" + "0" * 32])
    assert partition_summary(partition="2026-03-09").digest == ids_digest([]) == "0" * 16
