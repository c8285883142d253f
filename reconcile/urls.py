from django.urls import path

from reconcile import apis

app_name = "reconcile"
urlpatterns = [
    path("api/v1/reconcile/runs", apis.RunsApi.as_view(), name="reconcile-runs"),
    path("api/v1/reconcile/partitions", apis.PartitionsApi.as_view(), name="reconcile-partitions"),
]
