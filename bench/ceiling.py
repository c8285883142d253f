"""The framework ceiling for RiskCast ingest: a bare DRF view that inserts one row.

Bench-only. It is served through ``bench.ceiling_settings`` (the project's settings with this
module as ``ROOT_URLCONF``), so it gets the same middleware, API-key auth, scope permission,
throttle, JSON parser and renderer, server and SQLite file as ingest, and skips exactly what
ingest adds: contract validation, hashing, headers and the exactly-once judgement.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from omenproject.routers import RISKCAST_ALIAS
from omenproject.urls import handler404, handler500
from omenproject.urls import urlpatterns as project_urlpatterns
from riskcast.models import ProcessedSignal, Source

CEILING_PATH = "bench/ceiling"


class CeilingApi(APIView):
    """POST any JSON object: one INSERT in one write transaction, 201."""

    required_scope = "riskcast:ingest"

    def post(self, request):
        ack_id = f"ack_{secrets.token_hex(16)}"
        with transaction.atomic(using=RISKCAST_ALIAS):
            ProcessedSignal.objects.create(
                signal_id=f"bench_{secrets.token_hex(16)}",
                payload_hash="",
                event=request.data,
                partition="bench",
                ack_id=ack_id,
                first_seen_at=timezone.now(),
                source=Source.HOT_PATH,
                id_hash_hi=0,
                id_hash_lo=0,
            )
        return Response({"ack_id": ack_id}, status=201)


urlpatterns = [*project_urlpatterns, path(CEILING_PATH, CeilingApi.as_view())]
__all__ = ["handler404", "handler500", "urlpatterns"]
