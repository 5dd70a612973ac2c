"""Moving events through their workflow from the admin: the actions (submit, approve,
reject, cancel), the page asking for feedback or a reason, and the same buttons on an
event's change page. Each goes through events.services, so the four-eyes rule, the
transitions, the audit trail and the notices hold here too."""

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.admin import describe
from audit.models import AuditEvent

from .. import services
from ..models import Event, EventStatus
from ..rules import can_edit, can_review
from .base import plural

AUDIT_ROWS = 100  # on an event's History page


class ReviewForm(forms.Form):
    feedback = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), required=False, max_length=2000)


class EventReviewMixin:
    """For EventAdmin: the workflow actions and the one-event review page (`admin:events_event_review`)."""

    REVIEW_VERBS = {"approve": "approve_events", "reject": "reject_events", "cancel": "cancel_events"}

    def _each(self, request, queryset, call, *, done, note=""):
        """`call(event)` for each event; each change is also logged for the event's History and the
        admin home's "Recent actions" (the audit trail has its own row, written by the service)."""

        def call_and_log(event):
            result = call(event)
            if result is not False:
                self.log_change(request, event, f"{done}." + (f" {note}" if note else ""))
            return result

        changed = self.apply_each(request, queryset, call_and_log)
        if changed:
            self.message_user(request, f"{done} {plural(changed)}.", messages.SUCCESS)

    @admin.action(description="Submit selected events for review")
    def submit_events(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda e: services.event_submit(actor=request.user, event_id=e.pk),
            done="Submitted",
        )

    def _review_page(self, request, queryset, *, action, required, verb, call):
        """An intermediate page asking for feedback (required to reject), then the service per event."""
        if "apply" in request.POST:
            form = ReviewForm(request.POST)
            if form.is_valid() and (form.cleaned_data["feedback"].strip() or not required):
                feedback = form.cleaned_data["feedback"].strip()
                label = "Reason" if action == "cancel_events" else "Feedback"
                note = f"{label}: {feedback}" if feedback else ""
                return self._each(request, queryset, lambda e: call(e, feedback), done=verb, note=note)
            if form.is_valid():
                form.add_error("feedback", "Tell the creator what to change.")
        else:
            form = ReviewForm()
        events = list(queryset.select_related("created_by"))
        button = {"Approved": "Approve", "Rejected": "Reject", "Cancelled": "Cancel"}[verb]
        one = len(events) == 1
        match = request.resolver_match
        if one and match is not None and match.url_name == "events_event_review":
            back = reverse("admin:events_event_change", args=[events[0].pk])  # from the event's page: back to it
        else:
            back = reverse("admin:events_event_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": f"{button} {'event' if one else f'{len(events)} events'}",
            "back_url": back,
            "destructive": action == "cancel_events",
            "opts": self.opts,
            "events": events,
            "form": form,
            "action": action,
            "required": required,
            "verb": verb,
            "button": button,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "own": [e for e in queryset if not can_review(request.user, e)],
        }
        return TemplateResponse(request, "admin/events/event/review.html", context)

    @admin.action(description="Approve selected events…")
    def approve_events(self, request, queryset):
        return self._review_page(
            request,
            queryset,
            action="approve_events",
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
            required=False,
            verb="Cancelled",
            call=lambda e, reason: services.event_cancel(actor=request.user, event_id=e.pk, reason=reason),
        )

    def history_view(self, request, object_id, extra_context=None):
        """Django's History (changes made in the admin), then the event's audit trail: every state
        change, wherever it was made (API, admin, commands), newest first."""
        rows = AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(Event), target_id=str(object_id)
        ).order_by("-created_at", "-id")[:AUDIT_ROWS]
        trail = [(row, describe(row)) for row in rows.select_related("actor")]
        extra_context = {**(extra_context or {}), "audit_trail": trail, "audit_rows": AUDIT_ROWS}
        return super().history_view(request, object_id, extra_context)

    def review_urls(self):
        return [
            path(
                "<uuid:event_id>/review/<str:verb>/",
                self.admin_site.admin_view(self.review_view),
                name="events_event_review",
            ),
        ]

    def review_view(self, request, event_id, verb):
        """Approve, reject or cancel one event from its change page (the same page as the actions)."""
        if verb not in self.REVIEW_VERBS or not self.has_change_permission(request):
            raise PermissionDenied
        queryset = Event.objects.filter(pk=event_id)
        get_object_or_404(queryset)
        response = getattr(self, self.REVIEW_VERBS[verb])(request, queryset)
        return response or HttpResponseRedirect(reverse("admin:events_event_change", args=[event_id]))

    def review_buttons(self, request, event) -> list[tuple[str, str, str]]:
        """(href, label, verb) of the workflow buttons `request.user` may use on `event`'s change page."""
        buttons = []
        if event is not None and self._staff(request):
            if event.status == EventStatus.PENDING and can_review(request.user, event):
                buttons += [("approve", "Approve…"), ("reject", "Reject with feedback…")]
            if event.status != EventStatus.CANCELLED and can_edit(request.user, event):
                buttons.append(("cancel", "Cancel event…"))
        return [(reverse("admin:events_event_review", args=[event.pk, verb]), label, verb) for verb, label in buttons]
