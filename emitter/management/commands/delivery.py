from django.core.management.base import BaseCommand

from emitter.drain import delivery_catch_up, delivery_rebuild
from omenproject.services import audit_record


class Command(BaseCommand):
    help = "Bring the delivery state up to date from the ledger (catch-up), or recreate it (rebuild)."

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["catch-up", "rebuild"])

    def handle(self, *args, verb, **options):
        added = delivery_catch_up() if verb == "catch-up" else delivery_rebuild()
        audit_record(actor="cli", action=f"delivery.{verb}", outcome="ok", details={"rows": added})
        self.stdout.write(f"{verb}: {added} delivery rows added from the ledger")
