"""ASGI entry point: HTTP through Django, WebSockets from every enabled plugin."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omenproject.settings")

from omenproject.startup import setup_or_exit

setup_or_exit()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from omenproject.plugins import websocket_routes  # noqa: E402

django_asgi = get_asgi_application()

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "websocket": AuthMiddlewareStack(URLRouter(websocket_routes())),
    }
)
