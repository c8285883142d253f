"""Process lifecycle: the draining flag that readiness and new work consult."""

import threading

_draining = threading.Event()


def begin_draining() -> None:
    """Turn readiness to 503 at once and refuse new work; in-flight work finishes."""
    _draining.set()


def is_draining() -> bool:
    return _draining.is_set()


def reset_for_tests() -> None:
    _draining.clear()
