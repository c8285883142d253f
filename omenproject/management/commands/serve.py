import signal

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand


def _port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError(value)
    return port


class Command(BaseCommand):
    help = "Serve OMEN over ASGI (uvicorn, one process) and exit 0 after a graceful SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=_port, default=8000)

    def handle(self, *args, host, port, **options):
        # uvicorn drains, then re-raises the signal it caught against the handler that was in
        # place before it started. Installing ours first turns that into a clean exit 0.
        caught: list[int] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda received, frame: caught.append(received))
        config = uvicorn.Config(
            "omenproject.asgi:application",
            host=host,
            port=port,
            lifespan="on",
            access_log=False,  # omen.access logs every request with its trace id
            log_config=None,  # Django's LOGGING (JSON lines) already covers uvicorn's loggers
            timeout_graceful_shutdown=int(settings.OMEN_SHUTDOWN_GRACE_S),
        )
        uvicorn.Server(config).run()
        self.stdout.write(f"stopped after {'a signal' if caught else 'server exit'}; in-flight requests drained")
