"""Reconcile in this process against a real RiskCast: replay exactly what is missing, once."""

from __future__ import annotations

import pytest

from omenproject.models import AuditEvent
from reconcile.lock import LockHeld, partition_lock
from reconcile.models import PartitionState, ReconcileRun
from reconcile.selectors import reconcile_plan
from reconcile.services import reconcile_partition

from .conftest import make_events, riskcast_rows, riskcast_sql, seal, seed_riskcast, write_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(240)]


def run(partition: str, **options):
    return reconcile_partition(partition=partition, actor="test", **options)


def sealed_day(rnode, day: str, n: int, *, delivered: int) -> list[dict]:
    events = make_events(day, n)
    write_ledger(events)
    seal(day)
    seed_riskcast(rnode, events[:delivered])
    return events


@pytest.mark.audit("38")
def test_exactly_the_two_missing_signals_are_replayed_and_a_second_run_replays_nothing(rnode, fresh_date):
    day = fresh_date()
    events = sealed_day(rnode, day, 10, delivered=8)
    first = run(day)
    assert (first.status, first.digest_matched, first.missing, first.replayed) == ("COMPLETED", False, 2, 2)
    assert first.duplicates == 0
    rows = riskcast_rows(rnode, day)
    assert sorted(sid for sid, _, _ in rows) == sorted(e["signal_id"] for e in events)
    replayed = {sid for sid, _, source in rows if source == "reconcile"}
    assert replayed == {e["signal_id"] for e in events[8:]}
    state = PartitionState.objects.get(partition=day)
    assert (state.status, state.missing, state.replayed, state.ledger_count) == ("COMPLETED", 2, 2, 10)
    assert state.completed_high_seq == state.ledger_high_seq is not None
    assert reconcile_plan(partition=day)[0].run is False  # nothing changed: not due
    second = run(day, force=True)
    assert (second.status, second.digest_matched, second.missing, second.replayed) == ("COMPLETED", True, 0, 0)
    assert AuditEvent.objects.filter(action="reconcile.run", target=day).count() == 2


@pytest.mark.audit("38")
@pytest.mark.parametrize("fraction", [0.01, 1.0])
def test_one_and_all_percent_of_ten_thousand_are_replayed_exactly(rnode, fresh_date, fraction):
    n = 10_000
    day = fresh_date()
    events = make_events(day, n)
    write_ledger(events)
    seal(day)
    delivered = n - round(n * fraction)
    seed_riskcast(rnode, events[:delivered])
    first = run(day, max_per_run=n, batch_size=500)
    assert (first.status, first.missing, first.replayed, first.duplicates) == (
        "COMPLETED",
        n - delivered,
        n - delivered,
        0,
    )
    assert len(riskcast_rows(rnode, day)) == n
    second = run(day, force=True)
    assert (second.digest_matched, second.missing, second.replayed) == (True, 0, 0)


@pytest.mark.audit("38")
def test_an_extra_id_and_a_mismatched_payload_are_reported_and_left_untouched(rnode, fresh_date):
    day = fresh_date()
    events = sealed_day(rnode, day, 6, delivered=5)
    stranger = make_events(day, 1)[0]
    seed_riskcast(rnode, [stranger])
    victim = events[0]["signal_id"]
    riskcast_sql(rnode, "UPDATE riskcast_processed_signal SET payload_hash = ? WHERE signal_id = ?", "0" * 64, victim)
    before = sorted(riskcast_rows(rnode, day))
    report = run(day)
    assert report.status == "PARTIAL" and report.problems
    assert report.extras == [stranger["signal_id"]] and report.mismatched == [victim]
    assert report.replayed == 1  # the one truly missing signal still goes out
    after = sorted(riskcast_rows(rnode, day))
    assert set(before) <= set(after) and len(after) == len(before) + 1  # nothing changed or deleted
    assert (stranger["signal_id"], stranger_hash(after, stranger), "hot_path") in after
    state = PartitionState.objects.get(partition=day)
    assert (state.status, state.extras, state.mismatched) == ("PARTIAL", 1, 1)
    assert reconcile_plan(partition=day)[0].run is True  # not completed: still due


def stranger_hash(rows, event) -> str:
    return next(h for sid, h, _ in rows if sid == event["signal_id"])


@pytest.mark.audit("40")
def test_250_missing_with_100_per_run_take_three_runs_and_replay_nothing_twice(rnode, fresh_date, settings):
    settings.RECONCILE_MAX_PER_RUN = 100
    settings.RECONCILE_BATCH_SIZE = 30
    day = fresh_date()
    sealed_day(rnode, day, 260, delivered=10)
    reports = [run(day) for _ in range(3)]
    assert [r.replayed for r in reports] == [100, 100, 50]
    assert [r.missing for r in reports] == [250, 150, 50]
    assert [r.status for r in reports] == ["PARTIAL", "PARTIAL", "COMPLETED"]
    assert sum(r.duplicates for r in reports) == 0
    assert len(riskcast_rows(rnode, day)) == 260
    assert run(day, force=True).replayed == 0


@pytest.mark.audit("39")
def test_an_unreadable_ledger_range_is_reported_unknown_never_reconciled(rnode, fresh_date):
    day = fresh_date()
    events = make_events(day, 10)
    positions = write_ledger(events)
    seal(day)
    seed_riskcast(rnode, events[:4] + events[5:])  # RiskCast lacks the one that becomes unreadable
    victim = positions[4]
    path = rnode_segment(day, victim.segment)
    with open(path, "r+b") as f:
        f.seek(victim.offset + 40)
        byte = f.read(1)
        f.seek(victim.offset + 40)
        f.write(bytes([byte[0] ^ 0xFF]))
    report = run(day)
    # The readable ids match RiskCast's exactly; only the unreadable range keeps it from COMPLETED.
    assert (report.digest_matched, report.missing, report.extras) == (False, 0, [])
    assert report.status == "PARTIAL" and report.unknown and report.problems
    assert report.unknown[0]["partition"] == day
    assert PartitionState.objects.get(partition=day).status == "PARTIAL"
    assert run(day).status == "PARTIAL"  # and again: it never turns COMPLETED on its own


def rnode_segment(day: str, segment: int):
    from django.conf import settings

    from ledger.core.segment import segment_name

    return settings.LEDGER_DIR / day / segment_name(segment)


@pytest.mark.audit("37")
def test_a_late_partition_is_checked_together_with_its_base_date(rnode, fresh_date):
    day = fresh_date()
    sealed_day(rnode, day, 5, delivered=5)
    assert run(day).status == "COMPLETED"
    late = make_events(day, 3, hour=18)
    positions = write_ledger(late)
    assert {p.partition for p in positions} == {f"{day}-late"}
    seed_riskcast(rnode, late[:1])  # RiskCast files late signals under their date
    plan = {item.partition: item for item in reconcile_plan()}
    assert plan[day].run and "late partition changed" in plan[day].reason
    assert plan[f"{day}-late"].run and plan[f"{day}-late"].reason == "never reconciled"
    report = run(f"{day}-late")
    assert (report.status, report.missing, report.replayed, report.extras) == ("COMPLETED", 2, 2, [])
    assert len(riskcast_rows(rnode, day)) == 8
    assert run(day).status == "COMPLETED"
    assert not any(item.run for item in reconcile_plan() if item.partition.startswith(day))


@pytest.mark.audit("37")
def test_an_open_partition_waits_for_its_seal_unless_forced(rnode):
    from django.utils import timezone

    today = timezone.now().date().isoformat()
    write_ledger(make_events(today, 3))
    assert run(today).status == "SKIPPED"
    assert not ReconcileRun.objects.filter(partition=today).exists()
    report = run(today, force=True)
    assert (report.status, report.replayed) == ("COMPLETED", 3)


@pytest.mark.audit("39")
def test_a_date_held_by_another_reconciler_is_not_touched(rnode, fresh_date, settings):
    day = fresh_date()
    sealed_day(rnode, day, 4, delivered=0)
    with partition_lock(settings.LEDGER_DIR, day), pytest.raises(LockHeld):
        run(day)
    assert riskcast_rows(rnode, day) == []
    assert run(day).replayed == 4  # released: the next run proceeds


@pytest.mark.audit("39")
def test_a_run_left_running_by_a_dead_process_is_marked_abandoned_and_resumed(rnode, fresh_date):
    day = fresh_date()
    sealed_day(rnode, day, 5, delivered=2)
    ReconcileRun.objects.create(partition=day, actor="dead", started_at="2026-01-01T00:00:00Z")
    PartitionState.objects.create(partition=day, status="RUNNING")
    assert reconcile_plan(partition=day)[0].reason == "last run did not complete (RUNNING)"
    assert run(day).replayed == 3
    assert ReconcileRun.objects.get(actor="dead").status == "FAILED"
