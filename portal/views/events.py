"""Find and register: the event list, an event's page, registering and cancelling, its .ics.

Reads go through `events.selectors` (the hand-written list and page queries, the caller's
registration joined), writes through `events.services` (the same notices and audit rows as
the API); a refusal (`DomainError`) is shown on the page with its status code.
"""

import functools
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.timezones import zone
from events import rules, selectors, services
from events.calendar import CONTENT_TYPE, event_filename, event_ics
from events.models import SEAT_STATUSES, EventKind, EventStatus, RegistrationStatus

from ..forms import PortalForm
from ..selectors import event_attendees

PAGE_SIZE = 20
SEARCH_MAX = 100


class EventFilterForm(PortalForm):
    """The list's filters; every one optional. Dates are days in the viewer's time zone."""

    q = forms.CharField(
        label="Search", required=False, max_length=SEARCH_MAX, help_text="Words in the title, description or place."
    )
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *EventKind.choices])
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For example 2027-01-31.",
    )
    end = forms.DateField(
        label="Until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day, included.",
    )
    cancelled = forms.BooleanField(label="Include cancelled events", required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The last day must be on or after the first day.")
        return data


def blank_filter_fields() -> str:
    """The filters of an unbound form (the list as first opened), rendered once per process
    and language: they are the same for everyone (no value, no error, the code's choices),
    and rendering their widgets was ~1 ms of each request. Rendered afresh under DEBUG, where
    templates change while the process runs."""
    if settings.DEBUG:
        return _render_filter_fields(EventFilterForm())
    return _blank_filter_fields(get_language())


@functools.lru_cache(maxsize=4)
def _blank_filter_fields(language: str) -> str:
    return _render_filter_fields(EventFilterForm())


def _render_filter_fields(form) -> str:
    return render_to_string("portal/events/_filter_fields.html", {"form": form})


def viewer_zone_name(user) -> str | None:
    """The zone a member reads times in; None for a visitor (each event's own zone)."""
    if not user.is_authenticated:
        return None
    return getattr(user, "time_zone", None) or settings.TIME_ZONE


def _show_times_in(events, zone_name):
    """What each card shows, written here rather than by template tags (a `{% timezone %}`
    and two `date` filters per card were most of the list's render time): the time in
    `zone_name` (a visitor: the event's own zone), the place, the seats."""
    for event in events:
        event.display_zone = zone_name or event.time_zone or settings.TIME_ZONE
        local_zone = zone(event.display_zone)
        starts, ends = event.starts_at.astimezone(local_zone), event.ends_at.astimezone(local_zone)
        until = ends.strftime("%H:%M") if ends.date() == starts.date() else _day_and_time(ends)
        event.when_iso, event.when_text = starts.isoformat(), f"{_day_and_time(starts)} to {until}"
        event.place_text = (
            f"{event.location} and online" if event.location and event.online_url else event.location or "Online"
        )
        event.seats_text = _seats(event)
    return events


def _day_and_time(moment) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"


def _seats(event) -> str:
    left = event.seats_left
    if left is None:
        return "Open seats"
    if left:
        return f"{left} seat{'s' if left != 1 else ''} left"
    return f"Waiting list ({event.waitlist_count} waiting)" if event.waitlist_count else "Waiting list"


def _filters(data, zone_name, *, staff: bool) -> dict:
    """The selector's filters: events not yet over, narrowed by the form. Members and visitors
    see only published events (approved, or once approved and now paused, marked so) and their
    own, and cancelled ones too when they ask (marked); staff, who see every event, only
    approved ones. Cancelled ones are left out with `status <> CANCELLED`, never by naming the
    statuses kept: an equality (or IN) on status steers PostgreSQL onto the (status, starts_at)
    index, which made a member's first page twice as slow at 10,000 events; the inequality
    keeps the plan (README "For members")."""
    local = zone(zone_name)
    now = timezone.now()
    if staff:
        filters = {"from": now, "status": EventStatus.APPROVED}
    else:
        filters = {"from": now, **({} if data.get("cancelled") else {"not_status": EventStatus.CANCELLED})}
    if data.get("q"):
        filters["q"] = data["q"].strip()
    if data.get("kind"):
        filters["kind"] = data["kind"]
    if data.get("start"):
        filters["from"] = max(now, datetime.combine(data["start"], time.min, tzinfo=local))
    if data.get("end"):
        filters["to"] = datetime.combine(data["end"] + timedelta(days=1), time.min, tzinfo=local)
    return filters


class _Counted(Paginator):
    """A paginator over one page the selector already read, with its total."""

    def __init__(self, items, total, per_page):
        super().__init__(range(total), per_page, allow_empty_first_page=True)
        self._items = items

    def page_of(self, number) -> Page:
        return Page(self._items, number, self)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def event_list(request):
    """Upcoming approved events, searchable, filtered by kind and dates, 20 a page.
    Public unless EVENTS_PUBLIC is off; visitors never see members-only events."""
    user = request.user
    if not user.is_authenticated and not settings.EVENTS_PUBLIC:
        return redirect_to_login(request.get_full_path(), "portal:login")
    form = EventFilterForm(request.GET or None)
    zone_name = viewer_zone_name(user)
    status, events, total, number = 200, [], 0, 1
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        number = data.get("page") or 1
        filters, skip = _filters(data, zone_name, staff=rules.is_staff(user)), (number - 1) * PAGE_SIZE
        if user.is_authenticated:
            total, events = selectors.event_page(user=user, filters=filters, skip=skip, limit=PAGE_SIZE)
        else:
            total, events = selectors.public_event_page(filters=filters, skip=skip, limit=PAGE_SIZE)
    paginator = _Counted(_show_times_in(events, zone_name), total, PAGE_SIZE)
    page = paginator.page_of(min(number, paginator.num_pages))
    context = {
        "nav": "events",
        "form": form,
        "blank_fields": "" if form.is_bound else blank_filter_fields(),
        "page": page,
        "events": events,
        "total": total,
        "number": number,
        "zone_name": zone_name,
        "query": _query_without_page(request),
    }
    return render(request, "portal/events/list.html", context, status=status)


def partial_refusal(response):
    """Mark a 4xx partial for portal.js, which swaps it in place like a 200."""
    response["X-Portal-Partial"] = "true"
    return response


# --- one event -------------------------------------------------------------------------------


def _visible_event(request, slug):
    """The event by its slug as the viewer may see it (annotated with their registration),
    or None."""
    if request.user.is_authenticated:
        return selectors.event_get(user=request.user, slug=slug)
    return selectors.public_event(slug=slug)


def _event_or_login(request, slug):
    """(event, None), or (None, a response): a visitor is sent to log in (whether the event
    exists or is members-only is not said), a member gets a 404."""
    event = _visible_event(request, slug)
    if event is not None:
        return event, None
    if not request.user.is_authenticated:
        return None, redirect_to_login(reverse("portal:event", kwargs={"slug": slug}), "portal:login")
    raise Http404("No such event.")


def _event_context(request, event, *, error=None) -> dict:
    user = request.user
    status = event.my_registration_status
    seat = status in SEAT_STATUSES
    sees_attendees = seat or rules.is_staff(user)
    zone_name = viewer_zone_name(user)
    _show_times_in([event], zone_name)
    return {
        "nav": "events",
        "event": event,
        "error": error,
        "zone_name": zone_name,
        "registered": status is not None,
        "has_seat": seat,
        "waiting": status == RegistrationStatus.WAITLISTED,
        "attended": status == RegistrationStatus.ATTENDED,
        "paused": rules.registration_paused(event),
        "cancelled": event.status == EventStatus.CANCELLED,
        "open": event.registration_open(),
        "can_cancel": status in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED) and not event.is_past,
        "online_url": event.online_url if rules.can_see_online_url(user, event, status) else "",
        "attendees": event_attendees(event_id=event.pk) if sees_attendees else None,
        "login_url": f"{reverse('portal:login')}?next={reverse('portal:event', kwargs={'slug': event.slug})}",
    }


@require_GET
def event_detail(request, slug):
    """An event's shareable page: what, when, where, who organises it, the viewer's place."""
    event, response = _event_or_login(request, slug)
    if response:
        return response
    return render(request, "portal/events/detail.html", _event_context(request, event))


def _change_registration(request, slug, change, done):
    """Register or cancel through `change(actor, event_id)`: htmx gets the registration panel
    back (with the header's unread count, out of band), a plain form a redirect to the page
    with a message; a refusal is shown in the panel with its status code."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("portal:event", kwargs={"slug": slug}), "portal:login")
    event, _ = _event_or_login(request, slug)
    try:
        change(actor=request.user, event_id=event.pk)
    except DomainError as error:
        context = _event_context(request, event, error=error.message)
        if request.htmx:
            return partial_refusal(
                render(request, "portal/events/_registration.html", context, status=error.status_code)
            )
        return render(request, "portal/events/detail.html", context, status=error.status_code)
    event = selectors.event_get(user=request.user, slug=slug)
    if request.htmx:
        context = {**_event_context(request, event), "announce": done(event), "oob_unread": True}
        return render(request, "portal/events/_registration.html", context)
    messages.success(request, done(event))
    return redirect("portal:event", slug=slug)


def _registered_message(event) -> str:
    if event.my_registration_status == RegistrationStatus.WAITLISTED:
        return f"The event is full: you are number {event.my_waitlist_rank} on the waiting list."
    return "You are registered: your seat is confirmed."


@require_POST
def event_register(request, slug):
    return _change_registration(request, slug, services.registration_create, _registered_message)


@require_POST
def event_cancel(request, slug):
    return _change_registration(
        request, slug, services.registration_cancel, lambda event: "Your registration is cancelled."
    )


@require_GET
def event_calendar(request, slug):
    """The event as a .ics file, for anyone who may see its page; the meeting link only for
    those who may see it there."""
    event, response = _event_or_login(request, slug)
    if response:
        return response
    if not rules.can_see_online_url(request.user, event, event.my_registration_status):
        event.online_url = ""
    response = HttpResponse(event_ics(event), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{event_filename(event)}"'
    return response


@require_GET
def event_by_id(request, event_id):
    """Links made from an event's id (notifications, older emails) lead to its shareable page."""
    if request.user.is_authenticated:
        event = selectors.event_get(user=request.user, event_id=event_id)
    else:
        event = selectors.public_event(event_id=event_id)
    if event is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "portal:login")
        raise Http404("No such event.")
    return redirect("portal:event", slug=event.slug)
