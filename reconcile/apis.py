"""Reconcile's API: start runs (``ops:reconcile``) and read partition state (docs/reconcile.md)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from omenproject.auth import actor_of
from omenproject.errors import NotFound
from reconcile import selectors
from reconcile.compare import SAMPLE
from reconcile.errors import ReconcileBusy, UnknownPartition
from reconcile.lock import LockHeld
from reconcile.worker import BUSY, ReconcileWorker


@extend_schema_serializer(component_name="ReconcileRunReport")
class RunReportSerializer(serializers.Serializer):
    """One ``reconcile.services.RunReport`` (discrepancy lists cut to a sample)."""

    partition = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    dry_run = serializers.BooleanField()
    run_id = serializers.IntegerField(allow_null=True)
    digest_matched = serializers.BooleanField(allow_null=True)
    ledger_count = serializers.IntegerField()
    riskcast_count = serializers.IntegerField()
    missing = serializers.IntegerField()
    replayed = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    left = serializers.IntegerField()
    extras = serializers.ListField(child=serializers.CharField())
    mismatched = serializers.ListField(child=serializers.CharField())
    unknown = serializers.ListField(child=serializers.DictField())
    error = serializers.CharField(allow_blank=True)


class RunsApi(APIView):
    """Reconcile one partition, or every due one, now; answers with one report per partition."""

    required_scope = "ops:reconcile"

    @extend_schema_serializer(component_name="ReconcileRunRequest")
    class InputSerializer(serializers.Serializer):
        partition = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(-late)?$", required=False)
        force = serializers.BooleanField(default=False)
        dry_run = serializers.BooleanField(default=False)

    @extend_schema_serializer(component_name="ReconcileRuns")
    class OutputSerializer(serializers.Serializer):
        runs = RunReportSerializer(many=True)
        problems = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(description="`not_found`: the ledger has no such partition."),
            409: OpenApiResponse(description="`reconcile_busy`: another reconciler holds the partition's date."),
        },
        description="Runs synchronously, bounded by RECONCILE_MAX_PER_RUN replays per partition.",
    )
    def post(self, request):
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        worker = ReconcileWorker(
            actor=actor_of(request), partition=data.get("partition"), force=data["force"], dry_run=data["dry_run"]
        )
        try:
            reports = worker.run_once()
        except UnknownPartition as exc:
            raise NotFound(str(exc)) from exc
        except LockHeld as exc:
            raise ReconcileBusy(details={"partition": data.get("partition")}) from exc
        if data.get("partition") and reports and reports[0].reason == BUSY:
            raise ReconcileBusy(details={"partition": data["partition"]})
        runs = [asdict(r) | {k: getattr(r, k)[:SAMPLE] for k in ("extras", "mismatched", "unknown")} for r in reports]
        return Response(self.OutputSerializer({"runs": runs, "problems": any(r.problems for r in reports)}).data)


class PartitionsApi(APIView):
    """Every ledger partition with its reconcile state and whether it needs a run (and why)."""

    required_scope = "ops:reconcile"

    @extend_schema_serializer(component_name="ReconcilePartition")
    class OutputSerializer(serializers.Serializer):
        partition = serializers.CharField(source="state.partition")
        status = serializers.CharField(source="state.status")
        needs_reconcile = serializers.BooleanField()
        reason = serializers.CharField()
        sealed = serializers.BooleanField(source="facts.sealed", allow_null=True, default=None)
        ledger_count_now = serializers.IntegerField(source="facts.count", allow_null=True, default=None)
        ledger_high_seq_now = serializers.IntegerField(source="facts.high_seq", allow_null=True, default=None)
        ledger_count = serializers.IntegerField(source="state.ledger_count")
        ledger_high_seq = serializers.IntegerField(source="state.ledger_high_seq", allow_null=True)
        riskcast_count = serializers.IntegerField(source="state.riskcast_count")
        missing = serializers.IntegerField(source="state.missing")
        replayed = serializers.IntegerField(source="state.replayed")
        extras = serializers.IntegerField(source="state.extras")
        mismatched = serializers.IntegerField(source="state.mismatched")
        last_run_started_at = serializers.DateTimeField(source="state.last_run_started_at", allow_null=True)
        last_run_finished_at = serializers.DateTimeField(source="state.last_run_finished_at", allow_null=True)
        last_completed_at = serializers.DateTimeField(source="state.last_completed_at", allow_null=True)
        last_error = serializers.CharField(source="state.last_error")

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        return Response(self.OutputSerializer(selectors.partition_overview(), many=True).data)
