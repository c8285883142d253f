"""Writes of reconcile: one run over one partition, and the state it leaves behind.

``reconcile_partition`` is the one entry point (the command, the API and the worker call it):

1. the sealed/late policy (``policy.may_reconcile``), then the per-date lock (``lock``);
2. RUNNING recorded; a RUNNING run left by a dead process is marked FAILED (abandoned);
3. the ledger's id digest against RiskCast's summary; equal: COMPLETED, nothing listed;
4. otherwise RiskCast's ids, then the ledger: the exact missing set, extras, mismatches;
5. at most ``RECONCILE_MAX_PER_RUN`` replays in batches of ``RECONCILE_BATCH_SIZE``, the state
   advancing after each confirmed batch (``partition_state_advance``);
6. COMPLETED only if nothing is left, nothing was reported and no ledger range was unreadable;
   PARTIAL otherwise; FAILED on an error. One audit event per run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from emitter.client import get_client
from ledger.core.metadata import late_partition
from ledger.selectors import ledger_reader
from omenproject.services import audit_record
from reconcile import metrics
from reconcile.compare import SAMPLE, LedgerScan, full_compare, ledger_digest
from reconcile.digest import ALGORITHM
from reconcile.errors import UnknownPartition
from reconcile.lock import partition_lock
from reconcile.models import PartitionState, ReconcileRun
from reconcile.policy import Status, may_reconcile
from reconcile.remote import RiskCastReader
from reconcile.replay import BatchResult, replay
from reconcile.selectors import LedgerFacts, ledger_facts

logger = logging.getLogger("omen.reconcile")
ABANDONED = "abandoned: the process running it stopped before the run ended"


@dataclass
class RunReport:
    partition: str
    status: str  # a Status value, or SKIPPED
    reason: str = ""
    dry_run: bool = False
    run_id: int | None = None
    digest_matched: bool | None = None
    ledger_count: int = 0
    riskcast_count: int = 0
    missing: int = 0
    replayed: int = 0
    duplicates: int = 0
    left: int = 0
    extras: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)
    error: str = ""

    @property
    def problems(self) -> bool:
        """Something a human must look at: discrepancies, unreadable ranges, a failed run."""
        return bool(self.extras or self.mismatched or self.unknown) or self.status == Status.FAILED

    def summary(self) -> str:
        if self.status == "SKIPPED":
            return f"{self.partition}: skipped ({self.reason})"
        verb = "would replay" if self.dry_run else "replayed"
        text = f"{self.partition}: {self.status.lower()}, missing {self.missing}, {verb} {self.replayed}"
        if self.left:
            text += f", {self.left} left"
        if self.extras or self.mismatched or self.unknown:
            text += f"; reported {len(self.extras)} extra, {len(self.mismatched)} mismatched"
            text += f", {len(self.unknown)} unreadable ranges"
        return text + (f" ({self.error})" if self.error else "")


def partition_state_start(*, facts: LedgerFacts, actor: str, forced: bool) -> ReconcileRun:
    """Record a run as RUNNING (under the date's lock, so any other RUNNING run is dead)."""
    now = timezone.now()
    with transaction.atomic():
        dates = [facts.partition[:10], late_partition(facts.partition[:10])]
        ReconcileRun.objects.filter(partition__in=dates, status=Status.RUNNING).update(
            status=Status.FAILED, error=ABANDONED, finished_at=now
        )
        run = ReconcileRun.objects.create(
            partition=facts.partition,
            actor=actor[:150],
            forced=forced,
            started_at=now,
            ledger_count=facts.count,
            ledger_high_seq=facts.high_seq,
        )
        PartitionState.objects.update_or_create(
            partition=facts.partition,
            defaults={
                "status": Status.RUNNING,
                "ledger_count": facts.count,
                "ledger_high_seq": facts.high_seq,
                "missing": 0,
                "replayed": 0,
                "last_run_started_at": now,
                "last_error": "",
            },
        )
    return run


def partition_state_advance(*, run: ReconcileRun, batch: BatchResult) -> None:
    """Count one batch that RiskCast confirmed, on the run and on the partition state."""
    with transaction.atomic():
        ReconcileRun.objects.filter(pk=run.pk).update(replayed=F("replayed") + batch.confirmed)
        PartitionState.objects.filter(partition=run.partition).update(
            replayed=F("replayed") + batch.confirmed, cursor_seq=batch.last_seq
        )
    metrics.REPLAYED_TOTAL.inc(batch.confirmed)


def partition_state_finish(*, run: ReconcileRun, facts: LedgerFacts, report: RunReport) -> None:
    """Close the run and the partition state; the completed marks move only on COMPLETED."""
    now = timezone.now()
    fields = {
        "status": report.status,
        "riskcast_count": report.riskcast_count,
        "missing": report.missing,
        "extras": len(report.extras),
        "mismatched": len(report.mismatched),
    }
    state = fields | {"last_run_finished_at": now, "last_error": report.error}
    if report.status == Status.COMPLETED:
        state |= {
            "completed_high_seq": facts.high_seq,
            "completed_late_high_seq": facts.late_high_seq,
            "last_completed_at": now,
        }
    details = {
        "left": report.left,
        "duplicates": report.duplicates,
        "extras": report.extras[:SAMPLE],
        "mismatched": report.mismatched[:SAMPLE],
        "unknown": report.unknown[:SAMPLE],
    }
    with transaction.atomic():
        ReconcileRun.objects.filter(pk=run.pk).update(
            **fields,
            finished_at=now,
            digest_matched=report.digest_matched,
            unknown_ranges=len(report.unknown),
            error=report.error,
            details=details,
        )
        PartitionState.objects.filter(partition=run.partition).update(**state)
    if report.status == Status.COMPLETED:
        metrics.LAST_COMPLETED.labels(partition=run.partition).set(now.timestamp())


def _compare_and_replay(
    facts: LedgerFacts, report: RunReport, *, on_batch, should_stop, batch_size: int, max_per_run: int
) -> None:
    date = facts.partition[:10]
    names = set(ledger_reader().partitions())
    present = [p for p in (date, late_partition(date)) if p in names]
    with RiskCastReader() as remote:
        mine = ledger_digest(LedgerScan(ledger_reader), present)
        theirs = remote.summary(date)
        report.ledger_count, report.riskcast_count = mine.count, theirs.count
        comparable = theirs.algorithm == ALGORITHM and not mine.unknown
        report.digest_matched = comparable and (mine.count, mine.digest) == (theirs.count, theirs.digest)
        if report.digest_matched:
            return
        scan = LedgerScan(ledger_reader)
        comparison = full_compare(scan, present, remote.signal_ids(date))
    report.ledger_count, report.riskcast_count = comparison.ledger_count, comparison.remote_count
    report.missing = len(comparison.missing)
    report.extras, report.mismatched, report.unknown = comparison.extras, comparison.mismatched, comparison.unknown
    metrics.MISSING_TOTAL.inc(report.missing)
    for kind, items in (("extra", report.extras), ("mismatch", report.mismatched), ("unknown", report.unknown)):
        metrics.DISCREPANCIES_TOTAL.labels(kind=kind).inc(len(items))
    todo = comparison.missing[:max_per_run]
    if report.dry_run:
        report.replayed, report.left = len(todo), report.missing - len(todo)
        return
    result = replay(
        todo, reader=scan.reader, client=get_client(), batch_size=batch_size, on_batch=on_batch, should_stop=should_stop
    )
    report.replayed, report.duplicates = result.confirmed, result.duplicates
    report.riskcast_count += result.created
    report.left = report.missing - result.confirmed
    rejected = [sid for sid, reason in result.rejected if "mismatch" in reason]
    report.mismatched = sorted(set(report.mismatched) | set(rejected))
    if result.stopped:
        report.error = f"replay stopped: {result.stopped}"
    elif result.rejected or result.unreadable:
        report.error = f"{len(result.rejected)} rejected, {len(result.unreadable)} unreadable on replay"
    elif report.left:
        report.error = f"RECONCILE_MAX_PER_RUN ({max_per_run}) reached: {report.left} left for the next run"


def _final_status(report: RunReport) -> str:
    if report.digest_matched:
        return Status.COMPLETED
    clean = not (report.extras or report.mismatched or report.unknown or report.error)
    return Status.COMPLETED if clean and report.left == 0 else Status.PARTIAL


def reconcile_partition(
    *,
    partition: str,
    actor: str,
    force: bool = False,
    dry_run: bool = False,
    batch_size: int | None = None,
    max_per_run: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunReport:
    """Run reconcile once over ``partition``; raises ``LockHeld`` if another run holds its date.

    ``UnknownPartition`` if the ledger has no such partition. Never raises for RiskCast being
    away: the run ends FAILED with the reason in ``error``.
    """
    facts = ledger_facts(partition)
    if facts is None:
        raise UnknownPartition(f"the ledger has no partition {partition!r}")
    allowed = may_reconcile(late=facts.late, sealed=facts.sealed, force=force)
    if not allowed.needed:
        return RunReport(partition, "SKIPPED", reason=allowed.reason, dry_run=dry_run)
    batch_size = batch_size or settings.RECONCILE_BATCH_SIZE
    max_per_run = max_per_run or settings.RECONCILE_MAX_PER_RUN
    started = time.monotonic()
    report = RunReport(partition, Status.RUNNING, reason=allowed.reason, dry_run=dry_run)
    with partition_lock(ledger_reader().directory, partition[:10]):
        run = None if dry_run else partition_state_start(facts=facts, actor=actor, forced=force)
        report.run_id = run.pk if run else None
        try:
            _compare_and_replay(
                facts,
                report,
                on_batch=(lambda batch: partition_state_advance(run=run, batch=batch)) if run else None,
                should_stop=should_stop,
                batch_size=batch_size,
                max_per_run=max_per_run,
            )
            report.status = _final_status(report)
        except Exception as exc:  # RiskCast away, refused, a bug: the run is FAILED, not left RUNNING
            logger.exception("reconcile run failed", extra={"partition": partition})
            report.status, report.error = Status.FAILED, f"{exc.__class__.__name__}: {exc}"[:500]
        if run is not None:
            partition_state_finish(run=run, facts=facts, report=report)
    outcome = "dry_run" if dry_run else report.status.lower()
    metrics.RUNS_TOTAL.labels(outcome=outcome).inc()
    metrics.RUN_SECONDS.observe(time.monotonic() - started)
    details = {k: v for k, v in asdict(report).items() if k not in ("extras", "mismatched", "unknown")}
    details |= {"extras": len(report.extras), "mismatched": len(report.mismatched), "unknown": len(report.unknown)}
    audit_record(actor=actor, action="reconcile.run", target=partition, outcome=outcome, details=details)
    logger.info(report.summary(), extra={"partition": partition, "reconcile_status": report.status})
    return report
