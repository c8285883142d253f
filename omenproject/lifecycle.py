"""Process lifecycle: draining after SIGTERM/SIGINT, and each plugin's shutdown hooks.

On SIGTERM or SIGINT the process turns ``/readyz`` to 503 at once and refuses new mutating
API calls (503 ``shutting_down``); the server lets in-flight requests finish within the grace
period; then every enabled plugin's ``shutdown_hooks`` run (the ledger flushes and closes).
"""

from __future__ import annotations

import logging
import signal
import threading

from django.utils.module_loading import import_string

logger = logging.getLogger("omen.lifecycle")
_draining = threading.Event()


def begin_draining() -> None:
    """Turn readiness to 503 at once and refuse new work; in-flight work finishes."""
    if not _draining.is_set():
        logger.info("draining: readiness is now 503, new work is refused")
    _draining.set()


def is_draining() -> bool:
    return _draining.is_set()


def reset_for_tests() -> None:
    _draining.clear()


def chain_signal_handlers(signals=(signal.SIGTERM, signal.SIGINT)) -> None:
    """Start draining on ``signals``, then call whatever handler was there (the server's)."""

    for signum in signals:
        previous = signal.getsignal(signum)

        def handler(received, frame, previous=previous):
            begin_draining()
            if callable(previous):
                previous(received, frame)
            elif previous == signal.SIG_DFL:
                raise SystemExit(0)

        signal.signal(signum, handler)


def _run(paths: list[str], stage: str) -> None:
    for path in paths:
        try:
            import_string(path)()
            logger.info(f"{stage} hook done", extra={"hook": path})
        except Exception:  # one failing hook must not skip the others
            logger.exception(f"{stage} hook failed", extra={"hook": path})


def run_startup_hooks() -> None:
    """Run every enabled plugin's startup hooks, in dependency order."""
    from omenproject.plugins import enabled_plugins

    _run([path for plugin in enabled_plugins() for path in plugin.startup_hooks], "startup")


def run_shutdown_hooks() -> None:
    """Run the shutdown hooks in reverse dependency order (workers stop before the ledger closes)."""
    from omenproject.plugins import enabled_plugins

    plugins = list(enabled_plugins())[::-1]
    _run([path for plugin in plugins for path in plugin.shutdown_hooks], "shutdown")


class StoppableWorker:
    """The stop flag of a worker loop (drain, reconcile): ``stop()`` is safe from a signal
    handler or another thread; the loop checks ``stopping`` between items and sleeps with
    ``pause``, which a stop cuts short."""

    def __init__(self) -> None:
        self._stopping = threading.Event()

    def stop(self, *_args) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)
