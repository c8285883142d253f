from django.urls import path

from ledger import apis

app_name = "ledger"
urlpatterns = [
    path("api/v1/ledger/stats", apis.StatsApi.as_view(), name="ledger-stats"),
]
