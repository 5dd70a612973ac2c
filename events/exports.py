"""Attendee lists as CSV: the API's `registrations.csv` and the admin's exports.

Every cell is written by `core.csv` (formula-safe). The body is built whole
rather than streamed: the API reads the rows inside its one database hop
(`core.concurrency.call`), where a streamed body would be read later, on
another thread; and an attendee list is one event's people.
"""

from collections.abc import Iterable, Iterator

from django.http import HttpResponse

from core.csv import csv_lines

from .models import Event
from .selectors import event_registrations

ATTENDEE_HEADER = [
    "status",
    "waitlist_position",
    "email",
    "nickname",
    "first_name",
    "last_name",
    "professional",
    "registered_at",
    "checked_in_at",
]


def attendee_rows(event: Event) -> Iterator[list]:
    """Every registration of `event`, seats first then the waiting list in order (one query)."""
    for registration in event_registrations(event_id=event.pk).iterator(chunk_size=2000):
        person = registration.user
        yield [
            registration.status,
            registration.waitlist_rank or "",
            person.email,
            person.nickname,
            person.first_name,
            person.last_name,
            "yes" if person.is_professional else "no",
            registration.created_at.isoformat(),
            registration.checked_in_at.isoformat() if registration.checked_in_at else "",
        ]


def _download(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    response = HttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def attendees_csv(event: Event) -> HttpResponse:
    """`<slug>-attendees.csv`: one event's attendee list."""
    return _download(f"{event.slug}-attendees.csv", ATTENDEE_HEADER, attendee_rows(event))


def events_attendees_csv(events: Iterable[Event]) -> HttpResponse:
    """`attendees.csv`: the attendee lists of several events, each row led by its event's title and start."""
    rows = ([event.title, event.starts_at.isoformat(), *row] for event in events for row in attendee_rows(event))
    return _download("attendees.csv", ["event", "starts_at", *ATTENDEE_HEADER], rows)
