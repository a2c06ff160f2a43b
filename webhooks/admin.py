from django.contrib import admin

from events.admin import CompanyScopedAdmin
from webhooks.models import Attempt, Delivery, DeliveryPolicy, Webhook


@admin.register(Webhook)
class WebhookAdmin(CompanyScopedAdmin):
    list_display = ["name", "trigger", "url", "is_active", "id"]
    list_filter = ["trigger", "is_active"]
    search_fields = ["name", "code", "url", "id"]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "response_truncated"]
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(CompanyScopedAdmin):
    list_display = ["object_id", "webhook", "kind", "state", "attempts", "status_code", "created_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["webhook"]
    inlines = [AttemptInline]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DeliveryPolicy)
class DeliveryPolicyAdmin(CompanyScopedAdmin):
    """A company's own auto-pause thresholds (docs/delivery.md, "When a webhook keeps failing")."""

    list_display = ["company", "pause_after_failures", "pause_after_minutes"]
