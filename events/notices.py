"""The messages events/ sends, registered with notifications/ in EventsConfig.ready().

The stored context holds plain values (ids, the title, ISO times, feedback);
the .ics attachment is made at delivery time from the event as it is then, so
a delayed email never carries a stale time or place.
"""

from datetime import timedelta

from django.conf import settings
from django.utils.text import capfirst

from core.timezones import format_in_zone
from notifications.registry import DAILY, Kind, periodic, register
from users.models import STAFF_ROLES

from .calendar import event_filename, event_ics
from .models import SEAT_STATUSES, Event
from .rules import can_see_online_url

# Kinds only managers and admins can receive (reviews; only staff create events).
STAFF_ONLY = tuple(str(role) for role in STAFF_ROLES)

SUBMITTED = "events.submitted"
APPROVED = "events.approved"
REJECTED = "events.rejected"
REGISTRATION_CONFIRMED = "events.registration_confirmed"
WAITLISTED = "events.waitlisted"
PROMOTED = "events.promoted"
CHANGED = "events.changed"
UPDATED = "events.updated"
CANCELLED = "events.cancelled"
REMINDER = "events.reminder"


def place(location: str, online_url: str) -> str:
    """Where, as a notice says it: the address, "Online", or both; never the meeting link."""
    return ", ".join(part for part in (location, "Online" if online_url else "") if part)


def context_for(event, *, with_online_url: bool = False, **extra) -> dict:
    """What every events notice stores: no secret, nothing that must stay fresh. The meeting
    link only `with_online_url`, for notices whose every recipient holds a seat or is staff
    (`rules.can_see_online_url`); others read "Online"."""
    context = {
        "event_id": str(event.pk),
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "time_zone": event.time_zone,
        "place": place(event.location, event.online_url),
        **extra,
    }
    if with_online_url and event.online_url:
        context["online_url"] = event.online_url
    return context


def previous_for(before: dict) -> dict:
    """The old time and place of an edited event (`before`: its field values), for `events.changed`."""
    return {
        "starts_at": before["starts_at"].isoformat(),
        "ends_at": before["ends_at"].isoformat(),
        "place": place(before["location"], before["online_url"]),
    }


# The edits of an approved event its registrants are told about by `events.updated` (and, beside
# a change of time or place, in `events.changed`): what the event page shows them. Who may
# register (members_only, the registration window) changes nothing for someone who has a place.
NOTICED_FIELDS = ("title", "description", "kind", "requirements", "capacity", "pro_only", "time_zone")


def field_label(name: str) -> str:
    """A field as the admin and the event page call it ("Participation requirements"), never its key."""
    return capfirst(Event._meta.get_field(name).verbose_name)


def _shown(name: str, value) -> str:
    if name == "kind":
        return str(dict(Event._meta.get_field("kind").choices).get(value, value))
    if name == "capacity":
        return "unlimited" if value is None else str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def edits_for(changes: dict) -> list[list[str]]:
    """[label, now, was] for each noticed field in `changes` ({name: [old, new]}), in a fixed
    order; long texts (description, requirements) say only that they changed."""
    edits = []
    for name in NOTICED_FIELDS:
        if name not in changes:
            continue
        old, new = changes[name]
        if name in ("description", "requirements"):
            edits.append([field_label(name), "", ""])
        else:
            edits.append([field_label(name), _shown(name, new), _shown(name, old)])
    return edits


def _edits_text(edits) -> str:
    lines = []
    for label, now, was in edits:
        lines.append(f"- {label}: {now} (was: {was})" if now or was else f"- {label}: updated")
    return "\n".join(lines)


def _updated(context) -> str:
    """What an approved event's non-critical edit changed: each field by its label, once."""
    lines = ["The organisers updated this event:", _edits_text(context.get("edits") or [])]
    if context.get("paused"):
        lines.append("The change is being reviewed; registration is paused until it is approved.")
    return "\n".join(lines)


def _zone_of(context) -> str | None:
    """The recipient's time zone (emails and digests carry the recipient), else the venue's."""
    recipient = context.get("recipient")
    return getattr(recipient, "time_zone", None) or context.get("time_zone")


def _when(context, starts_at=None) -> str:
    """The start in the recipient's zone with the zone's name; the venue's local time beside it
    when the venue is in another zone."""
    starts_at = starts_at or context.get("starts_at")
    shown = format_in_zone(starts_at, _zone_of(context))
    venue = context.get("time_zone")
    if shown and venue and venue != _zone_of(context):
        shown += f"; {format_in_zone(starts_at, venue, '%H:%M')} at the venue"
    return shown


def _details(context) -> str:
    parts = [
        f"When: {_when(context)}",
        f"Where: {context.get('place', '')}",
        f"Online: {context.get('online_url', '')}",
    ]
    return "\n".join(part for part in parts if not part.endswith(": "))


def _changed(context) -> str:
    """What changed: the new time and place, each with what it was before."""
    previous = context.get("previous") or {}
    link_only = context.get("changed") == ["online_url"] and previous.get("place") == context.get("place")
    lines = ["The link to join online changed." if link_only else "The time or place changed."]
    when, where = _when(context), context.get("place", "")
    lines.append(f"When: {when}")
    old_when = _when(context, previous.get("starts_at")) if previous.get("starts_at") else ""
    if old_when and old_when != when:
        lines.append(f"  (was: {old_when})")
    if where:
        lines.append(f"Where: {where}")
    if previous.get("place") and previous["place"] != where:
        lines.append(f"  (was: {previous['place']})")
    if context.get("online_url"):
        lines.append(f"Join online: {context['online_url']}")
    if context.get("edits"):
        lines += ["Also changed:", _edits_text(context["edits"])]
    if context.get("paused"):
        lines.append("The change is being reviewed; registration is paused until it is approved.")
    lines.append("The attached .ics updates your calendar.")
    return "\n".join(lines)


def _ics_attachment(email):
    """The event's .ics, made from the current row at delivery time; the meeting link only
    for a recipient who may see it (a seat, or staff)."""
    event = Event.objects.filter(pk=email.context.get("event_id")).first()
    if event is None:
        return []
    seat = event.registrations.filter(user_id=email.user_id, status__in=SEAT_STATUSES).values_list("status", flat=True)
    show = can_see_online_url(email.user, event, seat.first())
    return [(event_filename(event), event_ics(event, show_online_url=show), "text/calendar")]


def _review_link(context) -> str:
    return f"/admin/events/event/{context['event_id']}/change/"


# Links lead people to pages: the member pages' event (by id, which redirects to its shareable
# slug address); a rejection to the admin, where the creator edits and resubmits.
EVENT_LINK = "/app/events/id/{{ event_id }}/"

KINDS = [
    Kind(
        key=SUBMITTED,
        label="Event submitted for review",
        description="A manager submitted an event; another manager or an admin must approve or reject it.",
        roles=STAFF_ONLY,
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        title="Review requested: {{ title }}",
        body=lambda c: f"{c.get('submitted_by', 'A manager')} submitted an event for review.\n{_details(c)}",
        link=_review_link,
    ),
    Kind(
        key=APPROVED,
        label="Your event was approved",
        description="A reviewer approved an event you created; members can see it and register.",
        roles=STAFF_ONLY,
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        title="Approved: {{ title }}",
        body=lambda c: f"Your event was approved by {c.get('reviewed_by', 'a reviewer')}; members can now register.",
        link=EVENT_LINK,
    ),
    Kind(
        key=REJECTED,
        label="Your event was rejected",
        description="A reviewer asked for changes to an event you created, with their feedback.",
        roles=STAFF_ONLY,
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        title="Changes requested: {{ title }}",
        body=lambda c: f"Your event was rejected by {c.get('reviewed_by', 'a reviewer')}.\n\n"
        f"Feedback:\n{c.get('feedback', '')}\n\nEdit it and submit it again.",
        link=_review_link,
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
        description="The event was full: your place on its waiting list.",
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
        description="Someone cancelled and your place on the waiting list became a seat (with a calendar file).",
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
        description="The time or place of an event you registered for changed, or the link to join it (to seat "
        "holders only): the new and the old.",
        urgent=True,
        title="Changed: {{ title }}",
        body=_changed,
        link=EVENT_LINK,
        attachments=_ics_attachment,
    ),
    Kind(
        key=UPDATED,
        label="An event you registered for was updated",
        description="The organisers edited an event you have a place for (its title, description, requirements, "
        "seats…): what changed. Changes of time, place or the link to join come at once as a change.",
        urgent=False,  # may wait for the daily digest (README: digests per kind)
        default_digest=DAILY,
        title="Updated: {{ title }}",
        body=_updated,
        link=EVENT_LINK,
    ),
    Kind(
        key=CANCELLED,
        label="An event you registered for was cancelled",
        description="An event you registered for or waited for was cancelled, with the reason.",
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
