from django.urls import path, re_path

from riskcast import apis

app_name = "riskcast"
PARTITION = r"(?P<partition>[0-9]{4}-[0-9]{2}-[0-9]{2})"

urlpatterns = [
    path("api/v1/riskcast/ingest", apis.IngestApi.as_view(), name="riskcast-ingest"),
    re_path(
        rf"^api/v1/riskcast/partitions/{PARTITION}/signal-ids$",
        apis.PartitionSignalIdsApi.as_view(),
        name="riskcast-signal-ids",
    ),
    re_path(
        rf"^api/v1/riskcast/partitions/{PARTITION}/summary$",
        apis.PartitionSummaryApi.as_view(),
        name="riskcast-summary",
    ),
]
