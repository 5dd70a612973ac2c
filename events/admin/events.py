"""Events in the admin: the list, the change form (saved through the services), and attendee exports.

Every change goes through events.services, the same functions the API calls.
Managers and admins both work here: permissions come from the role.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, Q, Value, When
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.timezones import default_time_zone, format_in_zone, in_zone, time_zone_names, zone

from .. import selectors, services
from ..exports import attendees_csv, events_attendees_csv
from ..models import EDITABLE_FIELDS, Event, EventStatus, RegistrationStatus
from .base import StaffRoleAdmin
from .registrations import CheckInInlineMixin, RegistrationInline
from .review import EventReviewMixin


class TimeFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gte=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lt=now)
        return queryset


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("mine", "Waiting for my review")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return selectors.awaiting_review_by(request.user, queryset)
        return queryset


# Written by the workflow, never by the form.
REVIEW_FIELDS = (
    "status",
    "created_by",
    "submitted_by",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "review_feedback",
    "published_at",
    "cancelled_at",
    "cancellation_reason",
)


class EventAdminForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        required=False,
        choices=lambda: [("", "---------"), *((name, name) for name in sorted(time_zone_names()))],
        help_text="The venue's time zone (empty: the event's current one, or the server's for a new event).",
    )

    class Meta:
        model = Event
        fields = EDITABLE_FIELDS
        labels = {"location": "Location"}  # as the API calls it
        help_texts = {"location": "The address, or where to meet (an online event may leave it empty)."}

    def clean_time_zone(self):
        return self.cleaned_data.get("time_zone") or self.instance.time_zone or default_time_zone()

    def clean(self):
        cleaned = super().clean()
        starts = cleaned.get("starts_at")
        if self.instance._state.adding and starts and starts <= timezone.now():
            self.add_error("starts_at", "The event must start in the future.")
        return cleaned


class EventAdmin(EventReviewMixin, CheckInInlineMixin, StaffRoleAdmin):
    form = EventAdminForm
    list_display = ("title", "kind", "status_badge", "starts", "ends", "seats", "waiting", "created_by")
    list_filter = ("status", "kind", TimeFilter, ReviewFilter, "pro_only")
    search_fields = ("title", "location", "created_by__email")
    date_hierarchy = "starts_at"
    list_select_related = ("created_by",)
    list_per_page = 50
    show_full_result_count = False
    inlines = (RegistrationInline,)
    actions = ("submit_events", "approve_events", "reject_events", "cancel_events", "export_attendees")
    readonly_fields = (*REVIEW_FIELDS, "slug", "seats_taken", "sequence", "created_at", "updated_at", "tools")
    fieldsets = (
        (None, {"fields": ("title", "kind", "description", "requirements", "pro_only", "members_only")}),
        (
            "When and where",
            {
                "fields": ("starts_at", "ends_at", "time_zone", "location", "online_url"),
                "description": "Times on this page are in the event's time zone (the venue's).",
            },
        ),
        ("Seats", {"fields": ("capacity", "seats_taken", "registration_opens_at", "registration_closes_at")}),
        ("Review", {"fields": REVIEW_FIELDS}),
        ("Record", {"fields": ("slug", "sequence", "created_at", "updated_at", "tools")}),
    )

    def get_queryset(self, request):
        waiting = Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED))
        return super().get_queryset(request).annotate(waiting_count=waiting)

    def get_ordering(self, request):
        """Upcoming and running events first, the soonest first; then past ones, the latest first
        (a column header overrides it)."""
        now = timezone.now()
        past = Case(When(ends_at__lt=now, then=Value(1)), default=Value(0))
        return (
            past.asc(),
            Case(When(ends_at__gte=now, then=F("starts_at"))).asc(),
            Case(When(ends_at__lt=now, then=F("starts_at"))).desc(),
        )

    def get_fieldsets(self, request, obj=None):
        """A new event shows only what its creator fills in: no empty read-only sections."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        hidden = set(self.readonly_fields)
        shown = []
        for name, options in fieldsets:
            fields = [field for field in options["fields"] if field not in hidden]
            if fields:
                shown.append((name, {**options, "fields": fields}))
        return shown

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status == EventStatus.CANCELLED:
            fields = (*EDITABLE_FIELDS, *fields)
        return fields

    def has_delete_permission(self, request, obj=None):
        return self._staff(request) and obj is not None and obj.status == EventStatus.DRAFT

    # --- columns -------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_badge(self, event):
        colours = {
            EventStatus.DRAFT: "#777",
            EventStatus.PENDING: "#b36b00",
            EventStatus.APPROVED: "#2e7d32",
            EventStatus.REJECTED: "#c62828",
            EventStatus.CANCELLED: "#555",
        }
        return format_html('<b style="color:{}">{}</b>', colours[event.status], event.get_status_display())

    @admin.display(description="Starts (venue's time)", ordering="starts_at")
    def starts(self, event):
        return format_in_zone(event.starts_at, event.time_zone, "%Y-%m-%d %H:%M")

    @admin.display(description="Ends", ordering="ends_at")
    def ends(self, event):
        starts, ends = in_zone(event.starts_at, event.time_zone), in_zone(event.ends_at, event.time_zone)
        return ends.strftime("%H:%M" if ends.date() == starts.date() else "%Y-%m-%d %H:%M")

    @admin.display(description="Seats", ordering="seats_taken")
    def seats(self, event):
        return f"{event.seats_taken}/{'∞' if event.capacity is None else event.capacity}"

    @admin.display(description="Waiting", ordering="waiting_count")
    def waiting(self, event):
        return getattr(event, "waiting_count", 0)

    @admin.display(description="Tools")
    def tools(self, event):
        if event.pk is None:
            return "—"
        return format_html(
            '<a class="button" href="{}">Export attendees (CSV)</a>',
            reverse("admin:events_event_attendees_csv", args=[event.pk]),
        )

    # --- saving through the services ----------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            data = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
            created = services.event_create(actor=request.user, **data)
            obj.pk, obj.slug, obj.created_by = created.pk, created.slug, created.created_by
            obj._state.adding, obj._state.db = False, created._state.db
        elif form.changed_data:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
            if data:
                updated = services.event_update(actor=request.user, event_id=obj.pk, data=data)
                if updated.status != obj.status:
                    self.message_user(
                        request,
                        "The time, place or capacity changed: the event is back in review (PENDING).",
                        messages.WARNING,
                    )

    def delete_model(self, request, obj):
        services.event_delete(actor=request.user, event_id=obj.pk)

    # --- pages: review (see review.py), attendee CSV ---------------------------------

    def get_urls(self):
        return [
            *self.review_urls(),
            path(
                "<uuid:event_id>/attendees.csv",
                self.admin_site.admin_view(self.attendees_csv_view),
                name="events_event_attendees_csv",
            ),
            *super().get_urls(),
        ]

    def get_object(self, request, object_id, from_field=None):
        """Read once per request: the change page needs it for the review buttons, the time zone
        and the form."""
        cache = request.__dict__.setdefault("_events_admin_objects", {})
        if (object_id, from_field) not in cache:
            cache[object_id, from_field] = super().get_object(request, object_id, from_field)
        return cache[object_id, from_field]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The form's times are in the venue's zone, not the server's: 19:00 typed for a Paris
        event is 19:00 in Paris (18:00 UTC in winter), and a stored time is shown back in it.
        The zone is the one posted (a zone changed with the times applies to them), else the
        event's, else the server's; the page is rendered inside it too (a TemplateResponse
        renders after the view returns)."""
        event = self.get_object(request, object_id) if object_id else None
        zone_name = request.POST.get("time_zone") if request.method == "POST" else None
        if zone_name not in time_zone_names():
            zone_name = getattr(event, "time_zone", None) or default_time_zone()
        with timezone.override(zone(zone_name)):
            extra_context = {**(extra_context or {}), "form_time_zone": zone_name}
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        event = self.get_object(request, object_id) if object_id else None  # None for a malformed id too
        extra_context = {**(extra_context or {}), "review_buttons": self.review_buttons(request, event)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Export attendees of selected events (CSV)")
    def export_attendees(self, request, queryset):
        return events_attendees_csv(queryset.order_by("starts_at"))

    def attendees_csv_view(self, request, event_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return attendees_csv(get_object_or_404(Event, pk=event_id))
