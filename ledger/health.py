"""Readiness check: the ledger directory exists and accepts a durable write."""

import os
import tempfile

from django.conf import settings

from omenproject.plugins import HealthResult


def check_ledger_dir() -> HealthResult:
    directory = settings.LEDGER_DIR
    try:
        os.makedirs(directory, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=".readyz-", dir=directory)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(path)
    except OSError as exc:
        return HealthResult("ledger_dir", False, f"{exc.__class__.__name__}: {exc.strerror}")
    return HealthResult("ledger_dir", True)


def check_ledger_writable() -> HealthResult:
    """Not ready while the open ledger has stopped acknowledging after a failed write."""
    from ledger.services import current_failure

    failure = current_failure()
    if failure is not None:
        return HealthResult("ledger_writable", False, str(failure))
    return HealthResult("ledger_writable", True)
