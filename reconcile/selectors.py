"""Reads of reconcile: partition state next to the ledger's marks, and the plan of due runs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from ledger.core.metadata import is_late, late_partition
from ledger.selectors import ledger_partition_marks, ledger_partition_summary
from reconcile.errors import UnknownPartition
from reconcile.models import PartitionState, ReconcileRun
from reconcile.policy import Decision, Status, may_reconcile, needs_reconcile


@dataclass(frozen=True)
class LedgerFacts:
    partition: str
    late: bool
    sealed: bool
    count: int
    high_seq: int | None
    late_high_seq: int | None  # the date's -late partition (main partitions only)


@dataclass(frozen=True)
class PlanItem:
    partition: str
    run: bool
    reason: str


def ledger_facts(partition: str, marks: dict | None = None) -> LedgerFacts | None:
    """The ledger's marks for ``partition``; None if the ledger has no such partition."""
    marks = ledger_partition_marks() if marks is None else marks
    if partition not in marks:
        return None
    count, high = marks[partition]
    late = is_late(partition)
    late_high = None if late else marks.get(late_partition(partition), (0, None))[1]
    sealed = ledger_partition_summary(partition)["sealed"]
    return LedgerFacts(partition, late, sealed, count, high, late_high)


def decide(facts: LedgerFacts, state: PartitionState | None, *, force: bool = False) -> PlanItem:
    """Policy first (sealed/late/forced), then whether anything changed since the last run."""
    allowed = may_reconcile(late=facts.late, sealed=facts.sealed, force=force)
    if not allowed.needed:
        return PlanItem(facts.partition, False, allowed.reason)
    if force:
        return PlanItem(facts.partition, True, "forced")
    needed = state_decision(facts, state)
    return PlanItem(facts.partition, needed.needed, needed.reason)


def state_decision(facts: LedgerFacts, state: PartitionState | None) -> Decision:
    return needs_reconcile(
        status=Status(state.status) if state else Status.NEVER,
        high_seq=facts.high_seq,
        completed_high_seq=state.completed_high_seq if state else None,
        late_high_seq=facts.late_high_seq,
        completed_late_high_seq=state.completed_late_high_seq if state else None,
    )


def reconcile_plan(*, force: bool = False, partition: str | None = None) -> list[PlanItem]:
    """One item per ledger partition (or just ``partition``), in date order."""
    marks = ledger_partition_marks()
    states = {s.partition: s for s in PartitionState.objects.all()}
    names = [partition] if partition else sorted(marks, key=lambda n: (n[:10], is_late(n)))
    items = []
    for name in names:
        facts = ledger_facts(name, marks)
        if facts is None:
            raise UnknownPartition(f"the ledger has no partition {name!r}")
        items.append(decide(facts, states.get(name), force=force))
    return items


def partition_overview() -> list[dict]:
    """Every ledger partition with its reconcile state (NEVER when it has no row yet)."""
    marks = ledger_partition_marks()
    states = {s.partition: s for s in PartitionState.objects.all()}
    rows = []
    for name in sorted(set(marks) | set(states), key=lambda n: (n[:10], is_late(n))):
        state = states.get(name) or PartitionState(partition=name)
        facts = ledger_facts(name, marks)
        decision = state_decision(facts, states.get(name)) if facts else Decision(False, "not in the ledger")
        rows.append({"state": state, "facts": facts, "needs_reconcile": decision.needed, "reason": decision.reason})
    return rows


def runs(*, partition: str | None = None) -> QuerySet[ReconcileRun]:
    queryset = ReconcileRun.objects.all()
    return queryset.filter(partition=partition) if partition else queryset
