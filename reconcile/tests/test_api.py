"""POST /api/v1/reconcile/runs and GET /api/v1/reconcile/partitions."""

from __future__ import annotations

import pytest

from omenproject.models import AuditEvent
from reconcile.lock import partition_lock

from .conftest import make_events, seal, seed_riskcast, write_ledger

pytestmark = pytest.mark.django_db
RUNS, PARTITIONS = "/api/v1/reconcile/runs", "/api/v1/reconcile/partitions"


@pytest.fixture
def ops(client_with_scopes):
    return client_with_scopes("ops:reconcile")


def test_a_run_needs_the_ops_reconcile_scope(client_with_scopes, rnode):
    answer = client_with_scopes("signals:read").post(RUNS, {}, format="json")
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "forbidden_scope")


def test_a_run_through_the_api_replays_the_missing_and_shows_in_the_partitions(ops, rnode, fresh_date):
    day = fresh_date()
    events = make_events(day, 6)
    write_ledger(events)
    seal(day)
    seed_riskcast(rnode, events[:4])
    before = ops.get(PARTITIONS).json()
    assert [(p["partition"], p["status"], p["needs_reconcile"], p["reason"]) for p in before] == [
        (day, "NEVER", True, "never reconciled")
    ]
    answer = ops.post(RUNS, {"partition": day}, format="json")
    assert answer.status_code == 200, answer.content
    (report,) = answer.json()["runs"]
    assert (report["status"], report["missing"], report["replayed"]) == ("COMPLETED", 2, 2)
    assert answer.json()["problems"] is False
    (row,) = ops.get(PARTITIONS).json()
    assert (row["status"], row["needs_reconcile"], row["replayed"], row["ledger_count"]) == ("COMPLETED", False, 2, 6)
    assert AuditEvent.objects.filter(action="reconcile.run", target=day, outcome="completed").exists()


def test_a_busy_date_is_a_409_and_an_unknown_partition_a_404(ops, rnode, fresh_date, settings):
    day = fresh_date()
    write_ledger(make_events(day, 1))
    seal(day)
    with partition_lock(settings.LEDGER_DIR, day):
        busy = ops.post(RUNS, {"partition": day}, format="json")
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "reconcile_busy")
    unknown = ops.post(RUNS, {"partition": "1999-01-01"}, format="json")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    invalid = ops.post(RUNS, {"partition": "yesterday"}, format="json")
    assert invalid.status_code == 400
