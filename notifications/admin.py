from django.contrib import admin, messages

from .models import OutgoingEmail
from .services import email_requeue


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what failed and why. Bodies are never stored."""

    list_display = ("to_address", "kind", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("to_address",)
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    show_full_result_count = False
    readonly_fields = [field.name for field in OutgoingEmail._meta.fields]
    actions = ("send_again",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send again (pending or failed only)", permissions=["view"])
    def send_again(self, request, queryset):
        queued = email_requeue(queryset)
        self.message_user(request, f"Queued {queued} email(s).", messages.SUCCESS)
