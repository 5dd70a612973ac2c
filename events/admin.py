"""Events in the admin: review (approve, reject with feedback), registrations with check-in, CSV export.

Every change goes through events.services, the same functions the API calls, so
the four-eyes rule, the transitions, the audit trail and the notices hold here
too. Managers and admins both work here: permissions come from the role.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from . import selectors, services
from .models import EDITABLE_FIELDS, Event, EventStatus, Registration, RegistrationStatus
from .views import CSV_HEADER, _safe_cell, attendees_csv


def plural(count, noun="event"):
    return f"{count} {noun}{'' if count == 1 else 's'}"


class StaffRoleAdmin(admin.ModelAdmin):
    """Managers and admins may use it (the role decides, not Django's permission tables)."""

    def _staff(self, request):
        return services.is_staff(request.user)

    def has_module_permission(self, request):
        return self._staff(request)

    def has_view_permission(self, request, obj=None):
        return self._staff(request)

    def has_add_permission(self, request):
        return self._staff(request)

    def has_change_permission(self, request, obj=None):
        return self._staff(request)

    def has_delete_permission(self, request, obj=None):
        return False


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
            user = request.user
            return (
                queryset.filter(status=EventStatus.PENDING)
                .exclude(created_by_id=user.pk)
                .exclude(submitted_by_id=user.pk)
            )
        return queryset


class CheckInForm(forms.ModelForm):
    check_in = forms.BooleanField(required=False, label="Check in")

    class Meta:
        model = Registration
        fields = ()


class RegistrationInline(admin.TabularInline):
    """Seats first, then the waiting list in order, then cancellations; tick "Check in" and save."""

    model = Registration
    form = CheckInForm
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ("user", "status", "waitlist", "created_at", "checked_in_at", "check_in")
    readonly_fields = ("user", "status", "waitlist", "created_at", "checked_in_at")
    verbose_name_plural = "Registrations (seats, then the waiting list in order)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return services.is_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return services.is_staff(request.user)

    def get_queryset(self, request):
        return selectors.in_attendee_order(
            selectors.with_waitlist_rank(super().get_queryset(request)).select_related("user", "event")
        )

    @admin.display(description="Waiting #")
    def waitlist(self, registration):
        return getattr(registration, "waitlist_rank", None) or "—"


class ReviewForm(forms.Form):
    feedback = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), required=False, max_length=2000)


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = EDITABLE_FIELDS

    def clean(self):
        cleaned = super().clean()
        starts = cleaned.get("starts_at")
        if self.instance._state.adding and starts and starts <= timezone.now():
            self.add_error("starts_at", "The event must start in the future.")
        return cleaned


@admin.register(Event)
class EventAdmin(StaffRoleAdmin):
    form = EventAdminForm
    list_display = ("title", "kind", "status_badge", "starts_at", "ends_at", "seats", "waiting", "created_by")
    list_filter = ("status", "kind", TimeFilter, ReviewFilter, "pro_only")
    search_fields = ("title", "location", "created_by__email")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at",)
    list_select_related = ("created_by",)
    list_per_page = 50
    show_full_result_count = False
    inlines = (RegistrationInline,)
    actions = ("submit_events", "approve_events", "reject_events", "cancel_events", "export_attendees")
    readonly_fields = (
        "status",
        "slug",
        "seats_taken",
        "created_by",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_feedback",
        "published_at",
        "cancelled_at",
        "cancellation_reason",
        "sequence",
        "created_at",
        "updated_at",
        "tools",
    )
    fieldsets = (
        (None, {"fields": ("title", "kind", "description", "requirements", "pro_only")}),
        ("When and where", {"fields": ("starts_at", "ends_at", "location", "online_url")}),
        ("Seats", {"fields": ("capacity", "seats_taken", "registration_opens_at", "registration_closes_at")}),
        (
            "Review",
            {
                "fields": (
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
            },
        ),
        ("Record", {"fields": ("slug", "sequence", "created_at", "updated_at", "tools")}),
    )

    def get_queryset(self, request):
        waiting = Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED))
        return super().get_queryset(request).annotate(waiting_count=waiting)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status == EventStatus.CANCELLED:
            fields = (*EDITABLE_FIELDS, *fields)
        return fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

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

    def save_formset(self, request, form, formset, change):
        """The registrations inline: each ticked "Check in" goes through registration_check_in."""
        if formset.model is not Registration:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        checked = 0
        for inline_form in formset.forms:
            registration = inline_form.instance
            if inline_form.cleaned_data.get("check_in") and registration.status == RegistrationStatus.CONFIRMED:
                try:
                    _, changed = services.registration_check_in(
                        actor=request.user, event_id=registration.event_id, user_id=registration.user_id
                    )
                except (services.EventError, PermissionDenied) as exc:
                    self.message_user(request, f"{registration.user}: {exc}", messages.ERROR)
                    continue
                checked += changed
                if changed:
                    formset.changed_objects.append((registration, ["checked_in_at"]))
        if checked:
            self.message_user(request, f"Checked in {checked} {'person' if checked == 1 else 'people'}.")

    def delete_model(self, request, obj):
        services.event_delete(actor=request.user, event_id=obj.pk)

    # --- actions (one service call per event; refusals reported, never a 500) -------

    def _each(self, request, queryset, call, *, done):
        changed = 0
        for event in queryset:
            try:
                call(event)
            except (services.EventError, PermissionDenied, ValidationError) as exc:
                reason = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{event}: {reason}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{done} {plural(changed)}.", messages.SUCCESS)
        return None

    @admin.action(description="Submit selected events for review")
    def submit_events(self, request, queryset):
        return self._each(
            request,
            queryset,
            lambda e: services.event_submit(actor=request.user, event_id=e.pk),
            done="Submitted",
        )

    def _review_page(self, request, queryset, *, action, title, required, verb, call):
        """An intermediate page asking for feedback (required to reject), then the service per event."""
        if "apply" in request.POST:
            form = ReviewForm(request.POST)
            if form.is_valid() and (form.cleaned_data["feedback"].strip() or not required):
                feedback = form.cleaned_data["feedback"].strip()
                return self._each(request, queryset, lambda e: call(e, feedback), done=verb)
            if form.is_valid():
                form.add_error("feedback", "Tell the creator what to change.")
        else:
            form = ReviewForm()
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "events": list(queryset.select_related("created_by")),
            "form": form,
            "action": action,
            "required": required,
            "verb": verb,
            "button": {"Approved": "Approve", "Rejected": "Reject", "Cancelled": "Cancel"}[verb],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "own": [e for e in queryset if not services.can_review(request.user, e)],
        }
        return TemplateResponse(request, "admin/events/event/review.html", context)

    @admin.action(description="Approve selected events…")
    def approve_events(self, request, queryset):
        return self._review_page(
            request,
            queryset,
            action="approve_events",
            title="Approve events",
            required=False,
            verb="Approved",
            call=lambda e, feedback: services.event_approve(actor=request.user, event_id=e.pk, feedback=feedback),
        )

    @admin.action(description="Reject selected events with feedback…")
    def reject_events(self, request, queryset):
        return self._review_page(
            request,
            queryset,
            action="reject_events",
            title="Reject events",
            required=True,
            verb="Rejected",
            call=lambda e, feedback: services.event_reject(actor=request.user, event_id=e.pk, feedback=feedback),
        )

    @admin.action(description="Cancel selected events (registrants are emailed)…")
    def cancel_events(self, request, queryset):
        return self._review_page(
            request,
            queryset,
            action="cancel_events",
            title="Cancel events",
            required=False,
            verb="Cancelled",
            call=lambda e, reason: services.event_cancel(actor=request.user, event_id=e.pk, reason=reason),
        )

    @admin.action(description="Export attendees of selected events (CSV)")
    def export_attendees(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="attendees.csv"'
        writer = csv.writer(response)
        writer.writerow(["event", "starts_at", *CSV_HEADER])
        for event in queryset.order_by("starts_at"):
            rows = csv.reader(attendees_csv(event).splitlines()[1:])
            for row in rows:
                writer.writerow([_safe_cell(event.title), event.starts_at.isoformat(), *row])
        return response

    # --- extra pages ----------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<uuid:event_id>/review/<str:verb>/",
                self.admin_site.admin_view(self.review_view),
                name="events_event_review",
            ),
            path(
                "<uuid:event_id>/attendees.csv",
                self.admin_site.admin_view(self.attendees_csv_view),
                name="events_event_attendees_csv",
            ),
            *super().get_urls(),
        ]

    REVIEW_VERBS = {"approve": "approve_events", "reject": "reject_events", "cancel": "cancel_events"}

    def review_view(self, request, event_id, verb):
        """Approve, reject or cancel one event from its change page (the same page as the actions)."""
        if verb not in self.REVIEW_VERBS or not self.has_change_permission(request):
            raise PermissionDenied
        queryset = Event.objects.filter(pk=event_id)
        get_object_or_404(queryset)
        response = getattr(self, self.REVIEW_VERBS[verb])(request, queryset)
        return response or HttpResponseRedirect(reverse("admin:events_event_change", args=[event_id]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        event = Event.objects.filter(pk=object_id).first() if object_id else None
        buttons = []
        if event is not None and self._staff(request):
            if event.status == EventStatus.PENDING and services.can_review(request.user, event):
                buttons += [("approve", "Approve…"), ("reject", "Reject with feedback…")]
            if event.status != EventStatus.CANCELLED and services.can_edit(request.user, event):
                buttons.append(("cancel", "Cancel event…"))
        extra_context = {
            **(extra_context or {}),
            "review_buttons": [
                (reverse("admin:events_event_review", args=[event.pk, verb]), label) for verb, label in buttons
            ],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def attendees_csv_view(self, request, event_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        event = get_object_or_404(Event, pk=event_id)
        response = HttpResponse(attendees_csv(event), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{event.slug}-attendees.csv"'
        return response


@admin.register(Registration)
class RegistrationAdmin(StaffRoleAdmin):
    """Every registration; filter by status to see a waiting list in order."""

    list_display = ("event", "user", "status", "waitlist", "created_at", "checked_in_at")
    list_filter = ("status", "event__kind")
    search_fields = ("user__email", "user__nickname", "event__title")
    list_select_related = ("event", "user")
    ordering = ("event__starts_at", "event_id", "waitlist_position", "created_at")
    readonly_fields = (
        "event",
        "user",
        "status",
        "waitlist_position",
        "created_at",
        "updated_at",
        "confirmed_at",
        "cancelled_at",
        "checked_in_at",
        "checked_in_by",
        "reminded_at",
    )
    actions = ("check_in", "cancel_registrations")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return selectors.with_waitlist_rank(super().get_queryset(request))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Waiting #", ordering="waitlist_position")
    def waitlist(self, registration):
        return getattr(registration, "waitlist_rank", None) or "—"

    def _each(self, request, queryset, call, done):
        changed = 0
        for registration in queryset.select_related("user"):
            try:
                result = call(registration)
            except (services.EventError, PermissionDenied) as exc:
                self.message_user(request, f"{registration.user}: {exc}", messages.ERROR)
            else:
                changed += 1 if result is None or result is True else 0
        self.message_user(request, f"{done} {plural(changed, 'registration')}.", messages.SUCCESS)

    @admin.action(description="Check in selected registrations")
    def check_in(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r: services.registration_check_in(actor=request.user, event_id=r.event_id, user_id=r.user_id)[1],
            "Checked in",
        )

    @admin.action(description="Cancel selected registrations (the waiting list moves up)")
    def cancel_registrations(self, request, queryset):
        self._each(
            request,
            queryset.exclude(status=RegistrationStatus.CANCELLED),
            lambda r: services.registration_cancel(actor=request.user, event_id=r.event_id, user_id=r.user_id) and None,
            "Cancelled",
        )
