from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from omenproject.models import ApiKey
from omenproject.services import UnknownScope, apikey_create, apikey_revoke


def _scopes(raw: str) -> list[str]:
    return [s.strip() for s in raw.split(",") if s.strip()]


class Command(BaseCommand):
    help = "Create, list or revoke API keys (a new key is printed once)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", required=True, type=_scopes, help="comma-separated scopes")
        create.add_argument("--expires-at", default=None, help="ISO 8601 time with offset")
        sub.add_parser("list", help="list keys (never their secrets)")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, verb, **options):
        if verb == "create":
            expires_at = None
            if options["expires_at"]:
                expires_at = parse_datetime(options["expires_at"])
                if expires_at is None or expires_at.tzinfo is None:
                    raise CommandError("--expires-at must be an ISO 8601 time with an offset")
            try:
                record, key = apikey_create(name=options["name"], scopes=options["scopes"], expires_at=expires_at)
            except UnknownScope as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(key)
            self.stderr.write(f"created key {record.prefix} ({record.name}): store it now, it is not shown again")
        elif verb == "list":
            for k in ApiKey.objects.all():
                state = "revoked" if k.revoked_at else ("expired" if not k.is_active() else "active")
                self.stdout.write(f"{k.prefix}\t{k.name}\t{','.join(k.scopes)}\t{state}")
        elif not apikey_revoke(prefix=options["prefix"]):
            raise CommandError(f"no active key with prefix {options['prefix']!r}")
        else:
            self.stdout.write(f"revoked {options['prefix']}")
