"""The reconcile worker: every partition the plan says is due, once or in rounds until stopped."""

from __future__ import annotations

import logging

from omenproject.lifecycle import StoppableWorker
from reconcile.lock import LockHeld
from reconcile.selectors import reconcile_plan
from reconcile.services import RunReport, reconcile_partition

logger = logging.getLogger("omen.reconcile")
BUSY = "another reconciler holds this date"


class ReconcileWorker(StoppableWorker):
    """``run_once`` walks the plan; ``run`` repeats it every ``interval_s``; ``stop()`` lets the
    current batch finish (the replay checks between batches), then the loop ends."""

    def __init__(
        self,
        *,
        actor: str = "cli",
        partition: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        interval_s: float = 60.0,
    ):
        super().__init__()
        self.actor, self.partition, self.force, self.dry_run = actor, partition, force, dry_run
        self.interval_s = interval_s

    def run_once(self) -> list[RunReport]:
        reports = []
        for item in reconcile_plan(force=self.force, partition=self.partition):
            if self.stopping:
                break
            if not item.run:
                if self.partition:  # asked for by name: say why nothing happened
                    reports.append(RunReport(item.partition, "SKIPPED", reason=item.reason))
                continue
            try:
                reports.append(
                    reconcile_partition(
                        partition=item.partition,
                        actor=self.actor,
                        force=self.force,
                        dry_run=self.dry_run,
                        should_stop=lambda: self.stopping,
                    )
                )
            except LockHeld:
                reports.append(RunReport(item.partition, "SKIPPED", reason=BUSY))
        return reports

    def run(self) -> None:
        while not self.stopping:
            try:
                for report in self.run_once():
                    logger.info(report.summary(), extra={"partition": report.partition})
            except Exception:  # a bad round must not kill the worker; the next one retries
                logger.exception("reconcile round failed")
            self.pause(self.interval_s)
