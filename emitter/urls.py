from django.urls import path

from emitter import apis

app_name = "emitter"
urlpatterns = [
    path("api/v1/signals", apis.SignalsApi.as_view(), name="signals"),
    path("api/v1/signals/<str:signal_id>", apis.SignalDetailApi.as_view(), name="signal-detail"),
]
