"""``/healthz`` (liveness, no I/O) and ``/readyz`` (every dependency this process needs)."""

from __future__ import annotations

from django.db import connections
from django.http import JsonResponse

from omenproject import lifecycle
from omenproject.plugins import HealthResult, health_checks, plugin_names


def check_databases() -> list[HealthResult]:
    results = []
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            results.append(HealthResult(f"database:{alias}", True))
        except Exception as exc:  # any driver error means not ready
            results.append(HealthResult(f"database:{alias}", False, exc.__class__.__name__))
    return results


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    results = [HealthResult("not_draining", not lifecycle.is_draining(), "draining" if lifecycle.is_draining() else "")]
    results += check_databases()
    for check in health_checks():
        try:
            results.append(check())
        except Exception as exc:  # a crashing check is a failing check, not a 500
            results.append(HealthResult(getattr(check, "__name__", "check"), False, exc.__class__.__name__))
    ready = all(r.ok for r in results)
    body = {
        "status": "ready" if ready else "not_ready",
        "plugins": plugin_names(),
        "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
    }
    return JsonResponse(body, status=200 if ready else 503)
