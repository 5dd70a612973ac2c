"""iCalendar files: one event (`/events/{id}.ics`, email attachments) and a user's feed.

Times are written in the venue's zone (`DTSTART;TZID=Europe/Paris:20261201T180000`, with
the zone's VTIMEZONE in the calendar), which every calendar app converts to the
reader's zone; an event in UTC is written `...Z`. The meeting link (`online_url`)
is written only for those who may see it (`rules.can_see_online_url`: callers
say so). The UID is stable per event, and SEQUENCE
grows when the time or place changes, so calendars update the entry they
already hold instead of adding a second one; a cancelled event is sent with
STATUS:CANCELLED so it is struck out rather than left standing.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as VEvent

from core.timezones import zone

from .models import Event, EventStatus

PRODID = "-//Event Manager//events//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def event_uid(event: Event) -> str:
    host = settings.SERVER_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    return f"event-{event.pk}@{host}"


def event_url(event: Event) -> str:
    return f"{settings.SERVER_BASE_URL}/events/{event.pk}"


def _vevent(event: Event, *, show_online_url: bool) -> VEvent:
    vevent = VEvent()
    venue = zone(event.time_zone)
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", timezone.now().astimezone(UTC))
    vevent.add("dtstart", event.starts_at.astimezone(venue))
    vevent.add("dtend", event.ends_at.astimezone(venue))
    vevent.add("summary", event.title)
    description = event.description
    online = event.online_url if show_online_url else ""
    if online:
        description = f"{description}\n\nOnline: {online}".strip()
    elif event.online_url:
        description = f"{description}\n\nOnline: the link is on the event page for seat holders.".strip()
    if description:
        vevent.add("description", description)
    vevent.add("location", event.location or online or "Online")
    vevent.add("url", event_url(event))
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    vevent.add("last-modified", event.updated_at.astimezone(UTC))
    return vevent


def _calendar(name: str, method: str = "PUBLISH") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    return calendar


def event_ics(event: Event, *, show_online_url: bool = False) -> bytes:
    """One event as a .ics file, in the venue's zone; the meeting link only `show_online_url`."""
    calendar = _calendar(event.title)
    calendar.add_component(_vevent(event, show_online_url=show_online_url))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_ics(events, *, name: str = "Event Manager", show_online_url: bool = True) -> bytes:
    """Many events (a user's feed: events they hold a seat for) as one calendar."""
    calendar = _calendar(name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for event in events:
        calendar.add_component(_vevent(event, show_online_url=show_online_url))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_filename(event: Event) -> str:
    return f"{event.slug or 'event'}.ics"
