"""The ledger's operator endpoints: storage stats (``ops:ledger``)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.selectors import ledger_storage_stats


class StatsApi(APIView):
    """Partitions, segments, records and bytes of this node's ledger, in total and per partition."""

    required_scope = "ops:ledger"

    @extend_schema(
        responses=inline_serializer(
            "LedgerStats",
            {
                "partitions": serializers.IntegerField(),
                "segments": serializers.IntegerField(),
                "records": serializers.IntegerField(),
                "bytes": serializers.IntegerField(),
                "per_partition": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        return Response(ledger_storage_stats())
