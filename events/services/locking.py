"""The event row lock every seat-changing service takes first.

Capacity and the waiting list (why this is race-free)
------------------------------------------------------
Every service that changes seats starts by locking the event row
(`SELECT ... FOR UPDATE`, `locked_event`). Concurrent registrations for the
same event therefore run one after the other, each seeing the seat count and
the waiting list committed by the one before it (PostgreSQL re-reads the locked
row, and every later statement under READ COMMITTED sees the latest commits):

- a seat is taken only while `seats_taken < capacity`, and `seats_taken` is
  written in the same transaction as the registration row;
- a waiting-list position is `max(position) + 1`, read under the same lock, so
  positions follow the order in which requests obtained the lock (arrival order);
- a cancellation frees the seat and promotes the first waiting person in the
  same transaction, so no newcomer can slip into the freed seat in between.

The database backs this up: a check constraint keeps `seats_taken <= capacity`
and a partial unique index allows one live registration per user and event, so
a code path that forgot the lock would fail loudly instead of overbooking.
Registrations for different events never wait for each other. SQLite has no
row locks; there the lock is taken by a first write, which makes SQLite
serialise the transaction as a whole (see `locked_event`). This is pretix's
approach too (a per-event lock around quota checks), at the size we need.
"""

import uuid

from django.db import connection
from django.db.models import F

from users.models import User

from ..models import Event
from ..selectors import event_visible_to
from .errors import EventNotFound


def as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def locked_event(event_id, *, actor: User | None = None) -> Event:
    """The event row, locked until the transaction ends; EventNotFound when the actor may not see it.

    PostgreSQL: `SELECT ... FOR UPDATE` serialises every seat-changing
    transaction of this event. SQLite ignores FOR UPDATE, so a harmless first
    write takes SQLite's database write lock before anything is read; a second
    transaction then waits (busy timeout) instead of reading stale counts.
    """
    event_id = as_uuid(event_id)
    if event_id is None:
        raise EventNotFound()
    if connection.vendor == "sqlite":
        Event.objects.filter(pk=event_id).update(seats_taken=F("seats_taken"))
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise EventNotFound()
    if actor is not None and not event_visible_to(event, actor):
        raise EventNotFound()
    return event


def add_seats(event: Event, count: int) -> None:
    """Move the event's seat counter by `count` (negative to free seats) in one UPDATE; the caller holds the lock."""
    Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") + count)
    event.seats_taken += count
