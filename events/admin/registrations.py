"""Registrations in the admin: the inline on an event (seats, then the waiting list, with
check-in) and the list of every registration, with check-in and cancel actions."""

from django import forms
from django.contrib import admin, messages

from .. import selectors, services
from ..models import Registration, RegistrationStatus
from ..rules import is_staff
from .base import StaffRoleAdmin, plural


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
        return is_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff(request.user)

    def get_queryset(self, request):
        return selectors.in_attendee_order(
            selectors.with_waitlist_rank(super().get_queryset(request)).select_related("user", "event")
        )

    @admin.display(description="Waiting #")
    def waitlist(self, registration):
        return getattr(registration, "waitlist_rank", None) or "—"


class CheckInInlineMixin:
    """For EventAdmin: each ticked "Check in" of the registrations inline goes through registration_check_in."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Registration:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        ticked = [
            inline_form.instance
            for inline_form in formset.forms
            if inline_form.cleaned_data.get("check_in") and inline_form.instance.status == RegistrationStatus.CONFIRMED
        ]

        def check_in(registration):
            _, changed = services.registration_check_in(
                actor=request.user, event_id=registration.event_id, user_id=registration.user_id
            )
            if changed:
                formset.changed_objects.append((registration, ["checked_in_at"]))
            return changed

        checked = self.apply_each(request, ticked, check_in, name=lambda registration: registration.user)
        if checked:
            self.message_user(request, f"Checked in {checked} {'person' if checked == 1 else 'people'}.")


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

    @admin.display(description="Waiting #", ordering="waitlist_position")
    def waitlist(self, registration):
        return getattr(registration, "waitlist_rank", None) or "—"

    def _each(self, request, queryset, call, done):
        changed = self.apply_each(request, queryset.select_related("user"), call, name=lambda r: r.user)
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
            lambda r: services.registration_cancel(actor=request.user, event_id=r.event_id, user_id=r.user_id),
            "Cancelled",
        )
