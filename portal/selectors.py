"""Reads only the member pages need: the attendees other attendees may see, the state of a
member's calendar feed, and notification links as page addresses. Everything else comes
from the apps' own selectors."""

import re

from django.urls import reverse

from events.models import SEAT_STATUSES, CalendarFeedToken, Registration
from users.selectors import DIRECTORY_FIELDS

EVENT_API_LINK = re.compile(
    r"^/events/(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?$", re.IGNORECASE
)
# API addresses a notification may point at, and the page that shows the same thing.
PAGE_FOR_LINK = {
    "/users/me": "portal:account",
    "/users/me/notification-preferences": "portal:account",
    "/notifications": "portal:notifications",
}


def event_attendees(*, event_id, limit: int = 200) -> list[dict]:
    """Who holds a seat at the event and chose to be seen (`show_in_directory`, the
    directory's own conditions), in registration order, as dicts of the directory's fields
    only. One query, whatever the number."""
    fields = [f"user__{name}" for name in DIRECTORY_FIELDS]
    rows = (
        Registration.objects.filter(
            event_id=event_id,
            status__in=SEAT_STATUSES,
            user__show_in_directory=True,
            user__is_locked=False,
            user__email_verified=True,
            user__closed_at__isnull=True,
        )
        .order_by("created_at", "id")
        .values(*fields)[:limit]
    )
    return [{name: row[f"user__{name}"] for name in DIRECTORY_FIELDS} for row in rows]


def calendar_feed(*, user) -> dict | None:
    """When the member's calendar-feed URL was made and last read, or None when there is
    none (the URL itself is stored only as a hash: it is shown once, when made)."""
    return CalendarFeedToken.objects.filter(user_id=user.pk).values("created_at", "last_used_at").first()


def page_link(link: str) -> str:
    """A notification's link as a member page: an event's API address becomes its page
    (`portal:event-by-id` redirects to the shareable one), the account's its page; any
    other link (the admin's, for staff) is kept."""
    if not link:
        return ""
    path = link.split("?", 1)[0].split("#", 1)[0]
    match = EVENT_API_LINK.match(path)
    if match:
        return reverse("portal:event-by-id", kwargs={"event_id": match["id"]})
    name = PAGE_FOR_LINK.get(path.rstrip("/"))
    return reverse(name) if name else link
