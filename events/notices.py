"""The messages events/ sends, registered with notifications/ in EventsConfig.ready().

The stored context holds plain values (ids, the title, ISO times, feedback);
the .ics attachment is made at delivery time from the event as it is then, so
a delayed email never carries a stale time or place.
"""

from datetime import datetime, timedelta

from django.conf import settings

from notifications.registry import Kind, periodic, register

from .calendar import event_filename, event_ics
from .models import Event

SUBMITTED = "events.submitted"
APPROVED = "events.approved"
REJECTED = "events.rejected"
REGISTRATION_CONFIRMED = "events.registration_confirmed"
WAITLISTED = "events.waitlisted"
PROMOTED = "events.promoted"
CHANGED = "events.changed"
CANCELLED = "events.cancelled"
REMINDER = "events.reminder"


def context_for(event, **extra) -> dict:
    """What every events notice stores: no secret, nothing that must stay fresh."""
    return {
        "event_id": str(event.pk),
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "place": event.location or event.online_url,
        **extra,
    }


def _when(context) -> str:
    try:
        starts = datetime.fromisoformat(context["starts_at"])
    except (KeyError, ValueError):
        return ""
    return starts.strftime("%A %d %B %Y, %H:%M UTC")


def _details(context) -> str:
    parts = [f"When: {_when(context)}", f"Where: {context.get('place', '')}"]
    return "\n".join(part for part in parts if not part.endswith(": "))


def _ics_attachment(email):
    """The event's .ics, made from the current row at delivery time."""
    event = Event.objects.filter(pk=email.context.get("event_id")).first()
    if event is None:
        return []
    return [(event_filename(event), event_ics(event), "text/calendar")]


def _review_link(context) -> str:
    return f"/admin/events/event/{context['event_id']}/change/"


EVENT_LINK = "/events/{{ event_id }}"

KINDS = [
    Kind(
        key=SUBMITTED,
        label="Event submitted for review",
        description="A manager submitted an event; another manager or an admin must approve or reject it.",
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        title="Review requested: {{ title }}",
        body=lambda c: f"{c.get('submitted_by', 'A manager')} submitted an event for review.\n{_details(c)}",
        link=_review_link,
    ),
    Kind(
        key=APPROVED,
        label="Your event was approved",
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        title="Approved: {{ title }}",
        body=lambda c: f"Your event was approved by {c.get('reviewed_by', 'a reviewer')}; members can now register.",
        link=EVENT_LINK,
    ),
    Kind(
        key=REJECTED,
        label="Your event was rejected",
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        title="Changes requested: {{ title }}",
        body=lambda c: f"Your event was rejected by {c.get('reviewed_by', 'a reviewer')}.\n\n"
        f"Feedback:\n{c.get('feedback', '')}\n\nEdit it and submit it again.",
        link=EVENT_LINK,
    ),
    Kind(
        key=REGISTRATION_CONFIRMED,
        label="Registration confirmed",
        description="Your seat is confirmed (with a calendar file).",
        mandatory=True,
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        title="You are registered: {{ title }}",
        body=lambda c: f"Your seat is confirmed.\n{_details(c)}\nThe attached .ics adds it to your calendar.",
        link=EVENT_LINK,
        attachments=_ics_attachment,
    ),
    Kind(
        key=WAITLISTED,
        label="On the waiting list",
        mandatory=True,
        urgent=True,
        title="You are on the waiting list: {{ title }}",
        body=lambda c: f"The event is full; you are number {c.get('position', '?')} on the waiting list. "
        f"We will email you if a seat frees up.\n{_details(c)}",
        link=EVENT_LINK,
    ),
    Kind(
        key=PROMOTED,
        label="A seat freed up for you",
        mandatory=True,
        urgent=True,
        title="You have a seat: {{ title }}",
        body=lambda c: f"A seat freed up and it is yours.\n{_details(c)}\nThe attached .ics adds it to your calendar.",
        link=EVENT_LINK,
        attachments=_ics_attachment,
    ),
    Kind(
        key=CHANGED,
        label="An event you registered for changed",
        urgent=True,
        title="Changed: {{ title }}",
        body=lambda c: f"The time or place changed.\n{_details(c)}\nThe attached .ics updates your calendar.",
        link=EVENT_LINK,
        attachments=_ics_attachment,
    ),
    Kind(
        key=CANCELLED,
        label="An event you registered for was cancelled",
        mandatory=True,
        urgent=True,
        title="Cancelled: {{ title }}",
        body=lambda c: f"This event was cancelled.{' Reason: ' + c['reason'] if c.get('reason') else ''}\n"
        f"{_details(c)}",
        link=EVENT_LINK,
        attachments=_ics_attachment,
    ),
    Kind(
        key=REMINDER,
        label="Reminder the day before",
        description="Sent about 24 hours before an event you have a seat for.",
        urgent=True,  # a daily digest could deliver it after the event
        title="Tomorrow: {{ title }}",
        body=_details,
        link=EVENT_LINK,
    ),
]


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)


def register_periodic() -> None:
    periodic(
        "events.reminders",
        task="events.tasks.send_reminders",
        schedule=timedelta(seconds=settings.EVENTS_REMINDER_INTERVAL),
    )
