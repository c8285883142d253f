"""The project's settings plus the bench-only ceiling route (``bench.ceiling``); never deployed."""

from omenproject.settings import *  # noqa: F403

ROOT_URLCONF = "bench.ceiling"
