from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail: read-only for everyone, superusers included."""

    list_display = ("created_at", "action", "actor_repr", "target_link", "summary", "client_ip")
    list_filter = ("action", ("actor", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("target_repr", "actor_repr", "=target_id", "=request_id")
    date_hierarchy = "created_at"
    list_select_related = ("target_type",)
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Target", ordering="target_repr")
    def target_link(self, event):
        kind = event.target_type
        try:
            url = reverse(f"admin:{kind.app_label}_{kind.model}_change", args=[event.target_id])
        except NoReverseMatch:
            return event.target_repr
        return format_html('<a href="{}">{}</a>', url, event.target_repr)

    @admin.display(description="Changes")
    def summary(self, event):
        return describe(event)


def describe(event: AuditEvent) -> str:
    """`role: AUTHENTICATED → MANAGER; is_locked: False → True`, then the note."""
    parts = [f"{name}: {_text(old)} → {_text(new)}" for name, (old, new) in (event.changes or {}).items()]
    if event.note:
        parts.append(event.note)
    return "; ".join(parts)


def _text(value) -> str:
    return "(empty)" if value in (None, "") else str(value)
