from django.contrib import admin

from reconcile.models import PartitionState, ReconcileRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reconcile state is written by runs only; the admin shows it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartitionState)
class PartitionStateAdmin(ReadOnlyAdmin):
    list_display = (
        "partition",
        "status",
        "ledger_count",
        "ledger_high_seq",
        "riskcast_count",
        "missing",
        "replayed",
        "extras",
        "mismatched",
        "last_run_finished_at",
        "last_completed_at",
    )
    list_filter = ("status",)
    search_fields = ("partition",)


@admin.register(ReconcileRun)
class ReconcileRunAdmin(ReadOnlyAdmin):
    list_display = ("partition", "status", "started_at", "finished_at", "missing", "replayed", "extras", "actor")
    list_filter = ("status", "forced")
    search_fields = ("partition", "actor")
