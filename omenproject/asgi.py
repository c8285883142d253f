"""ASGI entry point: HTTP through Django, WebSockets from every enabled plugin, and lifespan.

Lifespan startup chains SIGTERM/SIGINT so readiness turns 503 the moment the server is told
to stop; lifespan shutdown (after the server drained in-flight requests) runs the plugins'
shutdown hooks, which flush and close the ledger.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omenproject.settings")

from omenproject.startup import setup_or_exit

setup_or_exit()

from asgiref.sync import sync_to_async  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from omenproject import lifecycle  # noqa: E402
from omenproject.plugins import websocket_routes  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": AuthMiddlewareStack(URLRouter(websocket_routes())),
    }
)


async def lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            lifecycle.chain_signal_handlers()
            await sync_to_async(lifecycle.run_startup_hooks, thread_sensitive=False)()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            lifecycle.begin_draining()
            await sync_to_async(lifecycle.run_shutdown_hooks, thread_sensitive=False)()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    else:
        await router(scope, receive, send)
