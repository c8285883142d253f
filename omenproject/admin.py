from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from omenproject.models import ApiKey, AuditEvent
from omenproject.services import apikey_create, apikey_revoke, audit_record


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name")
    fields = ("name", "scopes", "expires_at", "prefix", "created_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        record, key = apikey_create(
            name=obj.name, scopes=obj.scopes, expires_at=obj.expires_at, actor=f"user:{request.user.get_username()}"
        )
        obj.pk, obj.prefix = record.pk, record.prefix
        self.message_user(request, f"New key (shown once, copy it now): {key}", messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            apikey_revoke(prefix=key.prefix, actor=f"user:{request.user.get_username()}")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "target", "outcome", "client_ip", "trace_id")
    list_filter = ("action", "outcome", "at")
    search_fields = ("actor", "action", "target", "trace_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


_ADMIN_ACTIONS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


@receiver(post_save, sender=LogEntry)
def _audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs):
    if created:
        audit_record(
            actor=f"user:{instance.user.get_username()}",
            action=f"admin.{_ADMIN_ACTIONS.get(instance.action_flag, 'other')}",
            target=f"{instance.content_type_id}:{instance.object_id}",
            details={"repr": instance.object_repr[:200]},
        )
