"""Who may do what with an event, and which status may follow which: pure rules, no queries.

The services enforce them; the selectors, the serializers' links and the admin's
buttons ask the same functions, so a rule is written once.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Event, EventStatus

TRANSITIONS = {
    EventStatus.DRAFT: {EventStatus.PENDING, EventStatus.CANCELLED},
    EventStatus.PENDING: {EventStatus.APPROVED, EventStatus.REJECTED, EventStatus.CANCELLED},
    EventStatus.REJECTED: {EventStatus.PENDING, EventStatus.CANCELLED},
    EventStatus.APPROVED: {EventStatus.PENDING, EventStatus.CANCELLED},
    EventStatus.CANCELLED: set(),
}
VERBS = {
    EventStatus.PENDING: "submit",
    EventStatus.APPROVED: "approve",
    EventStatus.REJECTED: "reject",
    EventStatus.CANCELLED: "cancel",
}


def can_transition(status: str, target: str) -> bool:
    return target in TRANSITIONS[EventStatus(status)]


def is_staff(user) -> bool:
    """A manager or an admin: `User.is_staff`, derived from the role (False for AnonymousUser and None)."""
    return bool(getattr(user, "is_staff", False))


def can_edit(user, event: Event) -> bool:
    """The creator, or any manager or admin."""
    return is_staff(user) or (event.created_by_id is not None and event.created_by_id == getattr(user, "pk", None))


def can_review(user, event: Event) -> bool:
    """Four eyes: a manager or admin who neither created nor (re)submitted the event."""
    return is_staff(user) and user.pk not in (event.created_by_id, event.submitted_by_id)


# Registrations that hold a seat (CONFIRMED, or ATTENDED once checked in); by value, so
# this module stays free of queries and of the registration model.
SEAT_HOLDING = ("CONFIRMED", "ATTENDED")


def registration_paused(event: Event) -> bool:
    """An event members saw approved that is back in review after an edit: it stays
    visible, but nobody may register until it is approved again."""
    return event.status == EventStatus.PENDING and event.published_at is not None


def can_see_online_url(user, event: Event, registration=None) -> bool:
    """The meeting link is for staff, the event's creator and people holding a seat
    (`registration`: the user's Registration, or its status); never the waiting list,
    other members or the public."""
    if is_staff(user) or (event.created_by_id is not None and event.created_by_id == getattr(user, "pk", None)):
        return True
    status = getattr(registration, "status", registration)
    return status in SEAT_HOLDING


def check_in_window(event: Event) -> tuple:
    """(opens, closes): check-in opens CHECK_IN_OPENS_HOURS_BEFORE hours before the start and
    closes at the end."""
    return event.starts_at - timedelta(hours=settings.CHECK_IN_OPENS_HOURS_BEFORE), event.ends_at


def check_in_open(event: Event, now=None) -> bool:
    """Whether staff may check people in now: inside `check_in_window`, never when cancelled."""
    if event.status == EventStatus.CANCELLED:
        return False
    opens, closes = check_in_window(event)
    now = now or timezone.now()
    return opens <= now <= closes
