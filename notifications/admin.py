from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import escape, format_html

from .forms import NotificationPreferenceForm
from .messages import DIGEST_KIND
from .models import FanOut, Notification, NotificationPreference, OutgoingEmail
from .preview import email_preview, kind_label
from .registry import UnknownKind, kinds
from .selectors import emails_failed, emails_waiting
from .services import email_requeue, notification_mark_all_read


class KindFilter(admin.SimpleListFilter):
    """The kinds present, by their labels (`Registration confirmed`, not `events.registration_confirmed`)."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        """Every registered kind (no query), and the digest where emails are listed."""
        keys = [kind.key for kind in kinds()]
        if model_admin.model is OutgoingEmail:
            keys.append(DIGEST_KIND)
        return sorted(((key, kind_label(key)) for key in keys), key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class KindLabelMixin:
    @admin.display(description="Kind", ordering="kind")
    def kind_label(self, obj):
        return format_html('<span title="{}">{}</span>', obj.kind, kind_label(obj.kind))


class AttentionFilter(admin.SimpleListFilter):
    """What the admin home's outbox banner links to: emails waiting too long, and recent failures."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting too long"), ("failed", "Failed (last 7 days)")]

    def queryset(self, request, queryset):
        rows = {"waiting": emails_waiting, "failed": emails_failed}.get(self.value())
        if rows is None:
            return queryset
        return queryset.filter(pk__in=rows(timezone.now()).values("pk"))


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(KindLabelMixin, admin.ModelAdmin):
    """The outbox: what was sent, what failed and why, what waits. Bodies are never stored: an
    email's page renders them again for its preview (notifications.preview)."""

    list_display = ("to_address", "kind_label", "status", "attempts", "created_at", "sent_at", "next_attempt_at")
    list_filter = (AttentionFilter, "status", KindFilter, "created_at")
    search_fields = ("to_address",)
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    show_full_result_count = False
    readonly_fields = ["preview", "kind_label", *(field.name for field in OutgoingEmail._meta.fields)]
    fields = [
        "preview",
        "to_address",
        "kind_label",
        "kind",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "queued_at",
        "sent_at",
        "next_attempt_at",
        "digest",
        "user",
        "context",
    ]
    actions = ("send_again",)

    @admin.display(description="What was sent")
    def preview(self, email):
        try:
            subject, text, withheld = email_preview(email)
        except UnknownKind:
            return f"No preview: the kind {email.kind!r} is no longer registered."
        note = " Links made with a token at delivery are not shown." if withheld else ""
        return format_html(
            '<div class="email-preview"><p><b>Subject:</b> {}</p><pre>{}</pre>'
            '<p class="help">Rendered again from the kind\'s templates and the stored context.{}</p></div>',
            escape(subject),  # rendered templates are "safe" strings: escape them all the same
            escape(text),
            note,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send again (pending, failed or stranded only)", permissions=["view"])
    def send_again(self, request, queryset):
        queued = email_requeue(queryset)
        self.message_user(request, f"Queued {queued} email(s).", messages.SUCCESS)


class RecipientFilter(admin.SimpleListFilter):
    """Staff see their own notifications first; "Everyone" (or a recipient in the URL) inspects anyone's."""

    title = "recipient"
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return [("all", "Everyone")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Mine",
        }
        yield from (choice for choice in super().choices(changelist) if choice["display"] != "All")

    def queryset(self, request, queryset):
        if self.value() == "all" or "recipient__id__exact" in request.GET:
            return queryset
        return queryset.filter(recipient=request.user)


class ReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", "Unread"), ("yes", "Read")]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(KindLabelMixin, admin.ModelAdmin):
    """In-app notifications. Read-only: they are written by `notify`; a recipient marks their own read."""

    list_display = ("title", "kind_label", "recipient", "is_read", "created_at")
    list_filter = (RecipientFilter, ReadFilter, KindFilter, "created_at")
    search_fields = ("recipient__email", "title")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    show_full_result_count = False
    readonly_fields = ("recipient", "kind_label", "title", "body", "link", "actor", "read_at", "created_at")
    exclude = ("dedupe_key",)
    actions = ("mark_read",)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="read")
    def is_read(self, obj):
        return obj.read_at is not None

    @admin.action(description="Mark as read (your own only)", permissions=["view"])
    def mark_read(self, request, queryset):
        marked = notification_mark_all_read(recipient=request.user, notifications=queryset)
        others = queryset.exclude(recipient=request.user).count()
        message = f"Marked {marked} notification(s) read."
        if others:
            message += f" {others} belong to someone else and were left as they are."
        self.message_user(request, message, messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(KindLabelMixin, admin.ModelAdmin):
    """Choices members made (kinds with no row use their defaults); changed through their API or here."""

    list_display = ("user", "kind_label", "email", "in_app", "digest", "updated_at")
    list_filter = (KindFilter, "email", "in_app", "digest")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    form = NotificationPreferenceForm


@admin.register(FanOut)
class FanOutAdmin(KindLabelMixin, admin.ModelAdmin):
    """Large notify_many calls the worker writes out; the sweep queues again a PENDING one no broker
    accepted (after 20 s) or whose task was lost (2 minutes after it was queued)."""

    list_display = ("kind_label", "recipients", "status", "created_at", "done_at")
    list_filter = ("status", KindFilter, "created_at")
    date_hierarchy = "created_at"
    show_full_result_count = False
    exclude = ("recipient_ids",)
    readonly_fields = ("kind", "context", "actor", "dedupe_key", "recipients", "status", "queued_at", "done_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
