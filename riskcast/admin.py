from django.contrib import admin

from riskcast.models import ProcessedSignal


@admin.register(ProcessedSignal)
class ProcessedSignalAdmin(admin.ModelAdmin):
    """Read-only: the store is written by ingest alone."""

    list_display = ("signal_id", "partition", "source", "first_seen_at", "ack_id", "trace_id")
    list_filter = ("partition", "source")
    search_fields = ("=signal_id", "=ack_id", "=trace_id")
    ordering = ("-first_seen_at",)
    show_full_result_count = False
    readonly_fields = [field.name for field in ProcessedSignal._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
