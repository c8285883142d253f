"""When a partition is reconciled: the pure decisions (no Django, no I/O).

``may_reconcile`` is the sealed/late policy: a main partition once it is sealed, an open one
only on demand (``force``), a ``-late`` partition whenever it changed. ``needs_reconcile`` says
whether anything changed since the last completed run, and why, as one sentence.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.StrEnum):
    """A partition's reconcile state (and the end state of one run)."""

    NEVER = "NEVER"  # no run yet
    RUNNING = "RUNNING"  # a run started and has not ended (or its process died)
    PARTIAL = "PARTIAL"  # a run ended with work left or discrepancies reported
    COMPLETED = "COMPLETED"  # RiskCast held exactly the ledger's ids when the run ended
    FAILED = "FAILED"  # a run stopped on an error (RiskCast unreachable, ...)


@dataclass(frozen=True)
class Decision:
    needed: bool
    reason: str


def may_reconcile(*, late: bool, sealed: bool, force: bool) -> Decision:
    """The sealed/late policy (docs/reconcile.md)."""
    if late:
        return Decision(True, "late partition: reconciled whenever it changes")
    if sealed:
        return Decision(True, "sealed partition")
    if force:
        return Decision(True, "open partition, forced")
    return Decision(False, "open partition: reconciled once sealed, or on demand with --force")


def needs_reconcile(
    *,
    status: Status,
    high_seq: int | None,
    completed_high_seq: int | None,
    late_high_seq: int | None = None,
    completed_late_high_seq: int | None = None,
) -> Decision:
    """Whether a partition needs a run, from its state and the ledger's marks now.

    ``high_seq`` is the partition's high-water seq now, ``completed_high_seq`` the one the last
    completed run covered; ``late_high_seq`` and ``completed_late_high_seq`` the same for the
    date's ``-late`` partition (a main partition only; None when there is none).
    """
    if status is Status.NEVER:
        return Decision(True, "never reconciled")
    if status is not Status.COMPLETED:
        return Decision(True, f"last run did not complete ({status.value})")
    if high_seq != completed_high_seq:
        return Decision(True, f"high-water seq moved from {completed_high_seq} to {high_seq}")
    if late_high_seq != completed_late_high_seq:
        return Decision(True, f"late partition changed (high-water seq {completed_late_high_seq} -> {late_high_seq})")
    return Decision(False, "up to date")
