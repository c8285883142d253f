"""Load settings before anything else, turning a configuration error into one clear line."""

import sys


def setup_or_exit() -> None:
    from django.conf import settings

    from omenproject.config import ConfigError

    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces the settings module to load
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None
