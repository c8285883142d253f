import signal

from django.core.management.base import BaseCommand

from emitter.drain import DrainWorker, delivery_catch_up, drain_once
from omenproject.services import audit_record


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Re-deliver LEDGER_ONLY and stale PENDING signals to RiskCast, in ledger order."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="one batch, then exit (default)")
        mode.add_argument("--loop", action="store_true", help="keep draining until SIGTERM/SIGINT")
        parser.add_argument("--interval", type=_positive, default=2.0, help="seconds between idle rounds")
        parser.add_argument("--batch", type=int, default=None, help="signals per batch")

    def handle(self, *args, loop, interval, batch, **options):
        if loop:
            worker = DrainWorker(interval_s=interval, batch_size=batch)
            signal.signal(signal.SIGTERM, worker.stop)
            signal.signal(signal.SIGINT, worker.stop)
            audit_record(actor="cli", action="drain.loop", outcome="started")
            worker.run()
            self.stdout.write("drain stopped after its current batch")
            return
        added = delivery_catch_up()
        report = drain_once(batch_size=batch)
        audit_record(actor="cli", action="drain.once", outcome="ok", details={"outcomes": report.outcomes})
        self.stdout.write(f"{report.summary()} (caught up {added} from the ledger)")
