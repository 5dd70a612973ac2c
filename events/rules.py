"""Who may do what with an event, and which status may follow which: pure rules, no queries.

The services enforce them; the selectors, the serializers' links and the admin's
buttons ask the same functions, so a rule is written once.
"""

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
