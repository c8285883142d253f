"""RiskCast's HTTP API: ingest, processed ids per partition, partition summary (docs/riskcast.md)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from omenproject.auth import actor_of
from omenproject.errors import ValidationFailed, error_body
from omenproject.signals import MAX_BATCH, SignalEventSerializer
from omenproject.signals.versions import deprecation_headers_for
from riskcast import metrics
from riskcast.errors import Duplicate, HeaderMismatch, PayloadMismatch
from riskcast.intake import validate_many, validate_one
from riskcast.models import Source
from riskcast.selectors import partition_summary, processed_ids_page
from riskcast.services import CREATED, DUPLICATE, IncomingSignal, IngestOutcome, signals_ingest

_STATUS = {CREATED: 201, DUPLICATE: 409, "conflict_payload_mismatch": 422}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _replay_source(request) -> str:
    raw = request.headers.get("X-Replay-Source", "").strip() or Source.HOT_PATH
    if raw not in Source.values:
        raise HeaderMismatch("X-Replay-Source must be hot_path or reconcile.", details={"X-Replay-Source": [raw[:40]]})
    return raw


def _check_headers(request, signal: IncomingSignal) -> None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and key.strip() != signal.signal_id:
        raise HeaderMismatch(
            "Idempotency-Key is not the body's signal_id.",
            details={"Idempotency-Key": [key[:80]], "signal_id": signal.signal_id},
        )
    claimed = request.headers.get("X-Payload-Hash")
    if claimed is not None and claimed.strip().lower() != signal.payload_hash:
        raise HeaderMismatch(
            "X-Payload-Hash is not the payload hash of the body.",
            details={"X-Payload-Hash": [claimed[:80]], "payload_hash": signal.payload_hash},
        )


def _acknowledgement(outcome: IngestOutcome) -> dict:
    return {
        "signal_id": outcome.signal_id,
        "ack_id": outcome.ack_id,
        "first_seen_at": utc_text(outcome.first_seen_at),
        "payload_hash": outcome.stored_payload_hash,
    }


def _mismatch_details(outcome: IngestOutcome) -> dict:
    return {
        "signal_id": outcome.signal_id,
        "stored_payload_hash": outcome.stored_payload_hash,
        "payload_hash": outcome.payload_hash,
    }


AckSerializer = inline_serializer(
    "RiskcastAck",
    {
        "status": serializers.CharField(),
        "signal_id": serializers.CharField(),
        "ack_id": serializers.CharField(),
        "first_seen_at": serializers.DateTimeField(),
        "payload_hash": serializers.CharField(),
    },
)
BatchResultSerializer = inline_serializer(
    "RiskcastBatchResult",
    {"results": serializers.ListField(child=serializers.DictField()), "counts": serializers.DictField()},
)
PARTITION = OpenApiParameter(
    "partition",
    {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    OpenApiParameter.PATH,
    description="YYYY-MM-DD: the UTC date of the events' emitted_at",
)


class IngestApi(APIView):
    """POST one SignalEvent (an object) or a batch (a list of up to MAX_BATCH objects)."""

    required_scope = "riskcast:ingest"

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="SignalEventSubmission",
            serializers=[SignalEventSerializer, SignalEventSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: AckSerializer,
            200: BatchResultSerializer,
            409: OpenApiResponse(
                description="`duplicate`: already stored with this payload hash; details carry the ack."
            ),
            422: OpenApiResponse(
                description="`conflict_payload_mismatch`: the signal_id is stored with another payload."
            ),
        },
        description=f"One SignalEvent (201, 409 duplicate, 422 payload mismatch) or a batch of up to {MAX_BATCH} "
        "(200 with one outcome per item).",
    )
    def post(self, request):
        source = _replay_source(request)
        if isinstance(request.data, list):
            return self._batch(request, request.data, source)
        if not isinstance(request.data, dict):
            raise ValidationFailed(details={"body": ["Expected a SignalEvent object or a list of them."]})
        signal = validate_one(request.data)
        _check_headers(request, signal)
        (outcome,) = signals_ingest(signals=[signal], source=source, actor=actor_of(request))
        if outcome.result == DUPLICATE:
            raise Duplicate(details=_acknowledgement(outcome))
        if outcome.result != CREATED:
            raise PayloadMismatch(details=_mismatch_details(outcome))
        return Response(
            {"status": CREATED, **_acknowledgement(outcome)}, status=201, headers=deprecation_headers_for(request.data)
        )

    def _batch(self, request, items: list, source: str) -> Response:
        if not items or len(items) > MAX_BATCH:
            raise ValidationFailed(
                f"A batch holds 1 to {MAX_BATCH} events.", details={"body": [f"got {len(items)} events"]}
            )
        present = [name for name in ("Idempotency-Key", "X-Payload-Hash") if name in request.headers]
        if present:
            raise HeaderMismatch(
                "Idempotency-Key and X-Payload-Hash name one event; send them with single events only.",
                details={name: ["not allowed on a batch"] for name in present},
            )
        results: list[dict | None] = [None] * len(items)
        valid: list[tuple[int, IncomingSignal]] = []
        for index, checked in enumerate(validate_many(items)):
            if isinstance(checked, IncomingSignal):
                valid.append((index, checked))
            else:
                results[index] = self._invalid(index, checked)
        outcomes = signals_ingest(signals=[s for _, s in valid], source=source, actor=actor_of(request))
        for (index, _), outcome in zip(valid, outcomes, strict=True):
            results[index] = self._item(index, outcome)
        counts: dict[str, int] = {}
        for result in results:
            counts[result["outcome"]] = counts.get(result["outcome"], 0) + 1
        metrics.BATCH_SIZE.observe(len(items))
        return Response({"results": results, "counts": counts}, status=200, headers=deprecation_headers_for(items))

    @staticmethod
    def _invalid(index: int, details: dict) -> dict:
        metrics.INGEST_TOTAL.labels(outcome="invalid").inc()
        body = error_body("validation_error", "The event is invalid.", details)
        return {"index": index, "status": 400, "outcome": "invalid", **body}

    @staticmethod
    def _item(index: int, outcome: IngestOutcome) -> dict:
        item = {"index": index, "status": _STATUS[outcome.result], "outcome": outcome.result}
        if outcome.result == "conflict_payload_mismatch":
            body = error_body(PayloadMismatch.default_code, PayloadMismatch.default_detail, _mismatch_details(outcome))
            return {**item, "signal_id": outcome.signal_id, **body}
        return {**item, **_acknowledgement(outcome)}


class PageInputSerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=400)
    limit = serializers.IntegerField(required=False, min_value=1)

    def validate_limit(self, value: int) -> int:
        if value > settings.RISKCAST_MAX_PAGE_SIZE:
            raise serializers.ValidationError(f"Ensure this value is at most {settings.RISKCAST_MAX_PAGE_SIZE}.")
        return value

    def validate_cursor(self, value: str) -> str:
        try:
            return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True).decode()
        except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text (a plain ValueError)
            raise serializers.ValidationError("Not a cursor returned by this endpoint.") from None


def encode_cursor(signal_id: str | None) -> str | None:
    return None if signal_id is None else base64.urlsafe_b64encode(signal_id.encode()).decode().rstrip("=")


class PartitionSignalIdsApi(APIView):
    """GET one page of a partition's processed ids (ordered by id) with their payload hashes."""

    required_scope = "riskcast:read"

    @extend_schema(
        parameters=[PARTITION, PageInputSerializer],
        responses=inline_serializer(
            "RiskcastIdPage",
            {
                "partition": serializers.CharField(),
                "items": serializers.ListField(child=serializers.DictField(child=serializers.CharField())),
                "next_cursor": serializers.CharField(allow_null=True),
            },
        ),
    )
    def get(self, request, partition: str):
        params = PageInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = processed_ids_page(
            partition=partition,
            after=params.validated_data.get("cursor"),
            limit=params.validated_data.get("limit", settings.RISKCAST_PAGE_SIZE),
        )
        return Response(
            {
                "partition": partition,
                "items": [{"signal_id": sid, "payload_hash": phash} for sid, phash in page.items],
                "next_cursor": encode_cursor(page.next_cursor),
            }
        )


class PartitionSummaryApi(APIView):
    """GET a partition's count and order-independent id digest (see riskcast.digest)."""

    required_scope = "riskcast:read"

    @extend_schema(
        parameters=[PARTITION],
        responses=inline_serializer(
            "RiskcastPartitionSummary",
            {
                "partition": serializers.CharField(),
                "count": serializers.IntegerField(),
                "digest": serializers.CharField(),
                "digest_algorithm": serializers.CharField(),
            },
        ),
    )
    def get(self, request, partition: str):
        summary = partition_summary(partition=partition)
        return Response(
            {
                "partition": summary.partition,
                "count": summary.count,
                "digest": summary.digest,
                "digest_algorithm": "sum64-sha256",
            }
        )
