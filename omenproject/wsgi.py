"""WSGI entry point (gunicorn with threads serves the API in production)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omenproject.settings")

from omenproject.startup import setup_or_exit

setup_or_exit()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
