"""Platform endpoints: the Prometheus exposition."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from rest_framework.views import APIView


class MetricsApi(APIView):
    """``/metrics`` in Prometheus text format; needs ``metrics:read`` unless configured open."""

    required_scope = "metrics:read"

    def get_permissions(self):
        return [] if settings.OMEN_METRICS_ACCESS == "open" else super().get_permissions()

    @extend_schema(exclude=True)
    def get(self, request):
        return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
