import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ledger.core.metadata import partition_date
from omenproject.services import audit_record
from reconcile.worker import ReconcileWorker


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(value)
    return number


def _partition(value: str) -> str:
    partition_date(value)  # UnknownPartition (a ValueError) for anything but YYYY-MM-DD[-late]
    return value


class Command(BaseCommand):
    help = "Compare ledger partitions with RiskCast and replay exactly what RiskCast lacks."

    def add_arguments(self, parser):
        parser.add_argument("--partition", type=_partition, help="only this partition (YYYY-MM-DD[-late])")
        parser.add_argument("--force", action="store_true", help="also open partitions, and even if up to date")
        parser.add_argument("--dry-run", action="store_true", help="compare and report, replay nothing")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="one pass over the due partitions (default)")
        mode.add_argument("--loop", action="store_true", help="repeat until SIGTERM/SIGINT")
        parser.add_argument("--interval", type=_positive, default=None, help="seconds between passes (--loop)")

    def handle(self, *args, partition, force, dry_run, loop, interval, **options):
        worker = ReconcileWorker(
            partition=partition, force=force, dry_run=dry_run, interval_s=interval or settings.RECONCILE_INTERVAL_S
        )
        if loop:
            signal.signal(signal.SIGTERM, worker.stop)
            signal.signal(signal.SIGINT, worker.stop)
            audit_record(actor="cli", action="reconcile.loop", outcome="started")
            worker.run()
            self.stdout.write("reconcile stopped after its current batch")
            return
        try:
            reports = worker.run_once()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for report in reports:
            self.stdout.write(report.summary())
        problems = [r for r in reports if r.problems]
        if problems:
            raise CommandError(f"{len(problems)} partition(s) need attention: see the lines above")
        self.stdout.write(f"reconciled {sum(r.status != 'SKIPPED' for r in reports)} partition(s)")
