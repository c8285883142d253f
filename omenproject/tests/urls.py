"""A URLconf for platform tests: the real routes plus a few probe views."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class EchoInput(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    count = serializers.IntegerField(min_value=0)


class EchoApi(APIView):
    required_scope = "signals:write"

    def post(self, request):
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data, status=201)


class BoomApi(APIView):
    required_scope = "public"

    def get(self, request):
        raise RuntimeError("boom with omen_abcdefgh_" + "x" * 43)


class NoScopeApi(APIView):
    def get(self, request):
        return Response({})


urlpatterns = [
    path("api/v1/test/echo", EchoApi.as_view(), name="test-echo"),
    path("api/v1/test/boom", BoomApi.as_view(), name="test-boom"),
    path("api/v1/test/noscope", NoScopeApi.as_view(), name="test-noscope"),
    path("", include("omenproject.urls")),
]

handler404 = "omenproject.urls._json_404"
handler500 = "omenproject.urls._json_500"
