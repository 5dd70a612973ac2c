"""Moving events through their workflow from the admin: the actions (submit, approve,
reject, cancel), the page asking for feedback or a reason, and the same buttons on an
event's change page. Each goes through events.services, so the four-eyes rule, the
transitions, the audit trail and the notices hold here too."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .. import services
from ..models import Event, EventStatus
from ..rules import can_edit, can_review
from .base import plural


class ReviewForm(forms.Form):
    feedback = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), required=False, max_length=2000)


class EventReviewMixin:
    """For EventAdmin: the workflow actions and the one-event review page (`admin:events_event_review`)."""

    REVIEW_VERBS = {"approve": "approve_events", "reject": "reject_events", "cancel": "cancel_events"}

    def _each(self, request, queryset, call, *, done):
        changed = self.apply_each(request, queryset, call)
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
            "own": [e for e in queryset if not can_review(request.user, e)],
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

    def review_buttons(self, request, event) -> list[tuple[str, str]]:
        """(href, label) of the workflow buttons `request.user` may use on `event`'s change page."""
        buttons = []
        if event is not None and self._staff(request):
            if event.status == EventStatus.PENDING and can_review(request.user, event):
                buttons += [("approve", "Approve…"), ("reject", "Reject with feedback…")]
            if event.status != EventStatus.CANCELLED and can_edit(request.user, event):
                buttons.append(("cancel", "Cancel event…"))
        return [(reverse("admin:events_event_review", args=[event.pk, verb]), label) for verb, label in buttons]
