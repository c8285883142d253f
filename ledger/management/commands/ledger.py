"""manage.py ledger seal|verify|stats — operate the ledger's partitions."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ledger import core
from ledger.selectors import ledger_storage_stats
from ledger.services import ledger_seal, ledger_verify


class Command(BaseCommand):
    help = "Seal due partitions, verify every frame and manifest, or print storage stats."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        seal = sub.add_parser("seal", help="Seal due partitions (or one, with --partition).")
        seal.add_argument("--partition", help="Seal this partition (YYYY-MM-DD or YYYY-MM-DD-late).")
        seal.add_argument("--force", action="store_true", help="Seal even before the day end + grace.")
        seal.add_argument("--dry-run", action="store_true", help="Report what would be sealed; write nothing.")
        verify = sub.add_parser("verify", help="Check every frame and manifest; exit 1 on any problem.")
        verify.add_argument("--partition", help="Verify only this partition.")
        sub.add_parser("stats", help="Partitions, segments, records and bytes.")

    def handle(self, *args, action: str, **options):
        try:
            if action == "seal":
                self._seal(options["partition"], options["force"], options["dry_run"])
            elif action == "verify":
                self._verify(options["partition"])
            else:
                stats = ledger_storage_stats()
                self.stdout.write(
                    f"{stats['partitions']} partitions, {stats['segments']} segments, "
                    f"{stats['records']} records, {stats['bytes']} bytes"
                )
        except (core.UnknownPartition, core.SealNotDue) as exc:
            raise CommandError(str(exc)) from exc

    def _seal(self, partition: str | None, force: bool, dry_run: bool) -> None:
        results = ledger_seal(partition=partition, force=force, dry_run=dry_run)
        done = [r for r in results if not r.already_sealed]
        verb = "would seal" if dry_run else "sealed"
        names = ", ".join(f"{r.partition} ({r.manifest.records} records)" for r in done) or "nothing"
        already = len(results) - len(done)
        self.stdout.write(f"{verb} {names}" + (f"; {already} already sealed" if already else ""))

    def _verify(self, partition: str | None) -> None:
        report = ledger_verify(partition=partition)
        for problem in report.problems:
            self.stderr.write(problem)
        summary = f"{report.partitions} partitions, {report.segments} segments, {report.records} records"
        if not report.ok:
            raise CommandError(f"verify found {len(report.problems)} problem(s) in {summary}")
        self.stdout.write(f"ok: {summary}")
