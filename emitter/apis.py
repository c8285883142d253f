"""The producer API: ``POST /api/v1/signals`` (one or a batch), and reads by id and by filter."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from emitter import selectors
from emitter.models import Delivery, DeliveryStatus
from emitter.services import signals_submit
from omenproject.errors import NotFound, ValidationFailed
from omenproject.signals import MAX_BATCH, SignalInputSerializer
from omenproject.signals.versions import deprecation_headers_for
from omenproject.tracing import current_trace_id


def _first_item(errors):
    """A single signal's errors out of the list serializer's (keyed by index, or a list)."""
    if isinstance(errors, dict):
        return errors.get("0", errors.get(0, errors))
    return errors[0] if errors else errors


class SubmittedSerializer(serializers.Serializer):
    signal_id = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    partition = serializers.CharField()
    seq = serializers.IntegerField()
    trace_id = serializers.CharField()


class BatchSubmittedSerializer(serializers.Serializer):
    results = SubmittedSerializer(many=True)


# Sent when the request names a deprecated schema_version.
DEPRECATION_HEADERS = [
    ("Deprecation", "RFC 9745: `@<unix seconds>` since which the request's schema_version is deprecated"),
    ("Sunset", "RFC 8594: the HTTP-date after which that schema_version may be refused"),
]
SUBMITTED = PolymorphicProxySerializer(
    component_name="SignalSubmitted",
    serializers=[SubmittedSerializer, BatchSubmittedSerializer],
    resource_type_field_name=None,
)


class SignalsApi(APIView):
    """Submit signals (``signals:write``) or list them (``signals:read``)."""

    def get_required_scope(self) -> str:
        return "signals:write" if self.request.method == "POST" else "signals:read"

    @property
    def required_scope(self) -> str:
        return self.get_required_scope()

    class Pagination(CursorPagination):
        ordering = "seq"
        page_size = 100
        page_size_query_param = "limit"
        max_page_size = 1000

        def decode_cursor(self, request):
            # DRF answers a bad cursor with 404; it is a bad query parameter.
            try:
                return super().decode_cursor(request)
            except exceptions.NotFound:
                raise ValidationFailed(details={"cursor": ["Not a cursor returned by this endpoint."]}) from None

    class FilterSerializer(serializers.Serializer):
        partition = serializers.RegexField(r"^\d{4}-\d{2}-\d{2}(-late)?$", required=False)
        status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
        emitted_after = serializers.DateTimeField(required=False)
        emitted_before = serializers.DateTimeField(required=False)
        cursor = serializers.CharField(required=False)
        limit = serializers.IntegerField(min_value=1, max_value=1000, required=False)

    class ItemSerializer(serializers.ModelSerializer):
        class Meta:
            model = Delivery
            fields = ["signal_id", "status", "partition", "seq", "trace_id", "emitted_at", "attempts", "ack_id"]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                name, str, OpenApiParameter.HEADER, response=[201, 202], description=f"{what} (docs/compatibility.md)."
            )
            for name, what in DEPRECATION_HEADERS
        ],
        request=PolymorphicProxySerializer(
            component_name="SignalSubmission",
            serializers=[SignalInputSerializer, SignalInputSerializer(many=True, max_length=MAX_BATCH)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: SUBMITTED,
            202: SUBMITTED,
            409: OpenApiResponse(
                description="`conflict_payload_mismatch`: the signal_id is stored with other content."
            ),
        },
        description=f"One signal (an object) or a batch (a list of up to {MAX_BATCH}). "
        "201 when every signal reached RiskCast (delivered or duplicate), 202 when some are only in the ledger. "
        "A deprecated schema_version is answered with Deprecation and Sunset headers (docs/compatibility.md).",
    )
    def post(self, request):
        batch = isinstance(request.data, list)
        items = request.data if batch else [request.data]
        if batch and not 1 <= len(items) <= MAX_BATCH:
            raise ValidationFailed(details={"non_field_errors": [f"A batch holds 1 to {MAX_BATCH} signals."]})
        data = SignalInputSerializer(data=items, many=True)
        if not data.is_valid():
            raise serializers.ValidationError(data.errors if batch else _first_item(data.errors))
        answers = signals_submit(contents=data.validated_data, trace_id=current_trace_id())
        status = 201 if all(a.delivered for a in answers) else 202
        body = (
            {"results": SubmittedSerializer(answers, many=True).data} if batch else SubmittedSerializer(answers[0]).data
        )
        return Response(body, status=status, headers=deprecation_headers_for(request.data))

    @extend_schema(
        operation_id="api_v1_signals_list",
        parameters=[FilterSerializer],
        responses=inline_serializer(
            "SignalPage",
            {
                "next": serializers.CharField(allow_null=True, help_text="URL of the next page, or null."),
                "previous": serializers.CharField(allow_null=True, help_text="URL of the previous page, or null."),
                "results": ItemSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        args = {k: v for k, v in filters.validated_data.items() if k not in {"cursor", "limit"}}
        paginator = self.Pagination()
        page = paginator.paginate_queryset(selectors.deliveries(**args), request, view=self)
        return paginator.get_paginated_response(self.ItemSerializer(page, many=True).data)


class SignalDetailApi(APIView):
    """One signal: its event as the ledger holds it, ledger position and delivery status."""

    required_scope = "signals:read"

    class OutputSerializer(serializers.ModelSerializer):
        event = serializers.JSONField()

        class Meta:
            model = Delivery
            fields = [
                "signal_id",
                "status",
                "partition",
                "seq",
                "trace_id",
                "emitted_at",
                "attempts",
                "ack_id",
                "last_error",
                "event",
            ]

    @extend_schema(parameters=[OpenApiParameter("signal_id", str, OpenApiParameter.PATH)], responses=OutputSerializer)
    def get(self, request, signal_id: str):
        row = Delivery.objects.filter(signal_id=signal_id).first()
        if row is None:
            raise NotFound(f"No signal {signal_id}.")
        row.event = selectors.ledger_event(signal_id)
        return Response(self.OutputSerializer(row).data)
