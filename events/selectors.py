"""Reads: who may see which event, the event list with the caller's own registration, attendee lists.

Every list is one query for the page plus one count, whatever the page size:
the caller's registration is joined, the waiting-list rank and length are
correlated counts of the page query, and the people's nicknames are subqueries of it, never
fetched per row.
"""

import functools
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.base import ModelState
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from users.selectors import DIRECTORY_FIELDS, directory_visible

from .models import LIVE_STATUSES, SEAT_STATUSES, Event, EventStatus, Registration, RegistrationStatus
from .rules import is_staff


def _published(event: Event) -> bool:
    """Members may see it: APPROVED, or once approved and now back in review after an edit
    (`rules.registration_paused`) or cancelled."""
    return event.status == EventStatus.APPROVED or (
        event.status in (EventStatus.PENDING, EventStatus.CANCELLED) and event.published_at is not None
    )


def event_visible_to(event: Event, user) -> bool:
    if user is None or not user.is_authenticated:
        return event_public(event)
    if is_staff(user) or event.created_by_id == user.pk:
        return True
    if _published(event):
        return True
    return Registration.objects.filter(event=event, user_id=user.pk, status__in=LIVE_STATUSES).exists()


def event_public(event: Event) -> bool:
    """Whether a visitor without an account may see `event` on the member pages: events are
    public (EVENTS_PUBLIC), this one is not members-only, and members may see it. The API
    answers anonymous callers with 401 whatever this says."""
    return settings.EVENTS_PUBLIC and not event.members_only and _published(event)


def _count(queryset):
    return Coalesce(
        Subquery(queryset.order_by().values("event").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


# --- the event list and page, as the caller sees them --------------------------------
#
# Written as SQL rather than built with the ORM: at 20 events a page the ORM spent most
# of a member's request building and compiling the count, the deferred-join page and its
# five per-row subqueries. The caller's live registration is a LEFT JOIN (one live
# registration per person and event), the waiting list's length and the caller's rank in
# it are correlated counts on the (event, status, waitlist_position) index, and the two
# people's nicknames are scalar subqueries on the user's primary key (as LEFT JOINs they
# made PostgreSQL's planner weigh a five-table join: ~0.25 ms more planning a request).
# Every placeholder goes through the connection's own adapters, so the same text runs on
# PostgreSQL and SQLite.

_EVENT = Event._meta.db_table
_REGISTRATION = Registration._meta.db_table
_USER = Event._meta.get_field("created_by").related_model._meta.db_table
_PERSON_COLUMNS = ("created_by", "reviewed_by")


def _uuid(value):
    return Event._meta.pk.get_db_prep_value(value, connection)


def _moment(value):
    return connection.ops.adapt_datetimefield_value(value)


def _in(values) -> tuple[str, list]:
    return ", ".join(["%s"] * len(values)), [str(value) for value in values]


def _where(user, filters: dict) -> tuple[list[str], list]:
    """Who sees what (as `event_visible_to`: managers and admins every event; members
    APPROVED ones, those they saw before a cancellation, their own, and any they hold a live
    registration for, so an approved event whose time changed stays visible to its
    registrants while back in review) and the list's filters, as SQL on `e`."""
    clauses, params = [], []
    live, live_params = _in(LIVE_STATUSES)
    published = "(e.status = %s OR (e.status IN (%s, %s) AND e.published_at IS NOT NULL))"
    published_params = [str(EventStatus.APPROVED), str(EventStatus.PENDING), str(EventStatus.CANCELLED)]
    registered = (
        f"EXISTS (SELECT 1 FROM {_REGISTRATION} r WHERE r.event_id = e.id AND r.user_id = %s AND r.status IN ({live}))"  # noqa: S608 - no input in the text
    )
    if not user.is_authenticated:  # a visitor on the pages (`public_event_list`)
        clauses.append(f"{published} AND e.members_only = %s")
        params += [*published_params, False]
    elif not is_staff(user):
        clauses.append(f"({published} OR e.created_by_id = %s OR {registered})")
        params += [*published_params, _uuid(user.pk), _uuid(user.pk), *live_params]
    for key, sql in (("kind", "e.kind = %s"), ("status", "e.status = %s"), ("not_status", "e.status <> %s")):
        if filters.get(key):
            clauses.append(sql)
            params.append(str(filters[key]))
    for key, sql in (("from", "e.ends_at >= %s"), ("to", "e.starts_at < %s")):
        if filters.get(key):
            clauses.append(sql)
            params.append(_moment(filters[key]))
    if filters.get("q"):
        like = connection.operators["icontains"]
        columns = [
            connection.ops.lookup_cast("icontains", "CharField") % f"e.{name}"
            for name in ("title", "description", "location")
        ]
        clauses.append("(" + " OR ".join(f"{column} {like}" for column in columns) + ")")
        params += [f"%{connection.ops.prep_for_like_query(filters['q'])}%"] * 3
    if filters.get("mine"):
        clauses.append(f"(e.created_by_id = %s OR {registered})")
        params += [_uuid(user.pk), _uuid(user.pk), *live_params]
    return clauses, params


def _where_sql(clauses) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def event_count(*, user, filters: dict | None = None) -> int:
    clauses, params = _where(user, filters or {})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {_EVENT} e {_where_sql(clauses)}", params)  # noqa: S608 - no input in the text
        return cursor.fetchone()[0]


_FIELDS = Event._meta.concrete_fields
_NAMES = [field.attname for field in _FIELDS]
_COLUMNS = ", ".join(f"e.{field.column}" for field in _FIELDS)


@functools.cache
def _converters(vendor: str) -> list[tuple[int, list]]:
    """Per column, the backend's and the field's converters, as the ORM applies them
    (none on PostgreSQL, whose driver hands back Python values; UUIDs, datetimes and
    booleans on SQLite)."""
    found = []
    for index, field in enumerate(_FIELDS):
        functions = connection.ops.get_db_converters(field.get_col(_EVENT)) + field.get_db_converters(connection)
        if functions:
            found.append((index, functions))
    return found


def _event(row, converters, alias: str) -> Event:
    """An Event from the first columns of `row` (the `_COLUMNS`), converted like the ORM's
    (`converters`: `_converters` of the connection `alias`), as `Event.from_db` would make it."""
    values = list(row[: len(_NAMES)])
    for index, functions in converters:
        for function in functions:
            values[index] = function(values[index], None, connection)
    # What Model.from_db makes, without __init__'s per-field descriptor walk (every
    # concrete field is loaded, none deferred): 0.1 ms less a page of 20.
    event = Event.__new__(Event)
    event.__dict__.update(zip(_NAMES, values, strict=True))
    event._state = ModelState()
    event._state.adding, event._state.db = False, alias
    return event


def _driver_timestamps(cursor) -> None:
    """On PostgreSQL, read this cursor's `timestamptz` columns with psycopg's own loader (C
    in psycopg[binary]) instead of Django's Python subclass of it, which re-parses every
    value in Python only to set the same UTC zone (the session's time zone is UTC): 7 of the
    page's columns are timestamps, and Django's loader cost about 0.4 ms a page of 20."""
    if connection.vendor != "postgresql":
        return
    import psycopg  # only installed where PostgreSQL is used

    adapters = psycopg.adapters
    oid = adapters.types["timestamptz"].oid
    cursor.cursor.adapters.register_loader(oid, adapters.get_loader(oid, psycopg.pq.Format.TEXT))


@contextmanager
def _planned_each_time(wrapper):
    """Send the statement unprepared (PostgreSQL with DATABASE_PREPARE_THRESHOLD set), so it is
    planned for this call's moment and viewer every time. psycopg prepares a statement after
    its fifth run, and PostgreSQL then switched the list's page to a generic plan, which
    cannot know that few events run at an unknown moment: it combined the time-range index
    with a walk of starts_at, 3.5-3.8 ms a page against 2.8-3.0 ms planned each time (the
    planning included) at 10,000 events. `wrapper`: the connection, or None to change nothing."""
    raw = getattr(wrapper, "connection", None) if wrapper is not None and wrapper.vendor == "postgresql" else None
    threshold = getattr(raw, "prepare_threshold", None)
    if threshold is None:
        yield
        return
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


def _rows(user, clauses, params, tail, tail_params, *, page: tuple[str, list] | None = None) -> list[Event]:
    return _read(user, clauses, params, tail, tail_params, page=page)[0]


def _read(user, clauses, params, tail, tail_params, *, page=None, total=False) -> tuple[list[Event], int | None]:
    """Events with the caller's registration (`my_registration_*`, `my_waitlist_rank`), the
    waiting list's length and the two people's nicknames; no query per row. Built from the
    cursor's rows directly (`Event.from_db`): a RawQuerySet cost 0.3 ms a page more.
    `page`: a `page (id, seg, starts_at)` CTE (and its parameters) the events are joined to;
    with `total`, it also has a `total (n)` CTE, read back as each row's last column."""
    prefix, prefix_params = page or ("", [])
    source = f"page p JOIN {_EVENT} e ON e.id = p.id" if page else f"{_EVENT} e"
    live, live_params = _in(LIVE_STATUSES)
    waiting = str(RegistrationStatus.WAITLISTED)
    sql = f"""{prefix}
        SELECT {_COLUMNS},
               (SELECT cb.nickname FROM {_USER} cb WHERE cb.id = e.created_by_id),
               (SELECT rb.nickname FROM {_USER} rb WHERE rb.id = e.reviewed_by_id),
               m.id, m.status, m.created_at,
               (SELECT COUNT(*) FROM {_REGISTRATION} w WHERE w.event_id = e.id AND w.status = %s),
               (SELECT COUNT(*) FROM {_REGISTRATION} a
                 WHERE a.event_id = e.id AND a.status = %s AND a.waitlist_position <= m.waitlist_position)
               {", (SELECT n FROM total)" if total else ""}
          FROM {source}
          LEFT JOIN {_REGISTRATION} m ON m.event_id = e.id AND m.user_id = %s AND m.status IN ({live})
          {_where_sql(clauses)} {tail}"""  # noqa: S608 - no input in the text
    with connection.cursor() as cursor, _planned_each_time(connection if page else None):
        _driver_timestamps(cursor)
        cursor.execute(sql, [*prefix_params, waiting, waiting, _uuid(user.pk), *live_params, *params, *tail_params])
        rows = cursor.fetchall()
    # The connection (a proxy to a thread's or task's own) read once for the page, not per row.
    events, converters, alias = [], _converters(connection.vendor), connection.alias
    for row in rows:
        event = _event(row, converters, alias)
        (
            event.created_by_nickname,
            event.reviewed_by_nickname,
            mine,
            event.my_registration_status,
            created_at,
            event.waitlist_count,
            event.my_waitlist_rank,
        ) = row[len(_NAMES) : len(_NAMES) + 7]
        if event.my_registration_status is not None:
            event.my_registration_id = uuid.UUID(str(mine))
            event.my_registration_created_at = _aware(created_at)
        events.append(event)
    return events, (rows[0][-1] if total and rows else None)


def _aware(value):
    """A datetime read from a raw column (SQLite hands back text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value is None or timezone.is_aware(value) else timezone.make_aware(value, UTC)


# The list's order in three parts, each walking the starts_at index: events running now
# (begun, not ended: few), those not begun (soonest first), then past ones (latest first).
# Only the ids, part and start of the rows up to the page's end are read and sorted; the
# page's 20 full rows are joined afterwards. Sorting every visible event's full row to
# take 20 cost PostgreSQL ~15 ms at 10,000 events.
_PARTS = (
    ("e.starts_at < %s AND e.ends_at >= %s", "ASC", 2),
    ("e.starts_at >= %s", "ASC", 1),
    ("e.starts_at < %s AND e.ends_at < %s", "DESC", 2),  # the first, implied, bounds the index walk
)
# On PostgreSQL the running part is read through the GiST index on each event's time range
# (events/migrations/0004): only the events running at the split, instead of every event
# begun before it (all of the past: 5,050 index rows at 10,000 events, more every year).
_RUNNING_PG = "tstzrange(e.starts_at, e.ends_at, '[]') @> %s::timestamptz AND e.starts_at < %s"
_PAGE_ORDER = "ORDER BY {p}seg, CASE WHEN {p}seg < 2 THEN {p}starts_at END, {p}starts_at DESC, {p}id"


# A `from` filter this close to the present is "upcoming only" (the member pages' list).
_UPCOMING_SLACK = timedelta(seconds=5)


def _split(filters: dict):
    """The moment the list's parts split at, and whether the past part can hold anything.
    With `from` at (or after) the present, the past part (ended before it) is empty by the
    filter itself; walking it cost PostgreSQL ~5,000 index rows at 10,000 events. The split
    is then `from`, so "running" means running at `from`."""
    now, start = timezone.now(), filters.get("from")
    if isinstance(start, datetime) and timezone.is_aware(start) and start >= now - _UPCOMING_SLACK:
        return start, False
    return now, True


def _page(clauses, params, skip: int, limit: int, filters: dict | None = None) -> tuple[str, list]:
    split, with_past = _split(filters or {})
    now, end = _moment(split), skip + limit
    parts, part_params = [], []
    for number, (condition, direction, moments) in enumerate(_PARTS if with_past else _PARTS[:2]):
        if number == 0 and connection.vendor == "postgresql":
            condition = _RUNNING_PG
        where = " AND ".join([condition, *clauses])
        parts.append(
            f"SELECT * FROM (SELECT e.id, {number} AS seg, e.starts_at FROM {_EVENT} e WHERE {where} "  # noqa: S608 - no input in the text
            f"ORDER BY e.starts_at {direction}, e.id LIMIT %s) part{number}"
        )
        part_params += [now] * moments + params + [end]
    union = " UNION ALL ".join(parts)
    sql = f"WITH page AS (SELECT id, seg, starts_at FROM ({union}) parts {_PAGE_ORDER.format(p='')} LIMIT %s OFFSET %s)"  # noqa: S608 - no input in the text
    return sql, [*part_params, limit, skip]


def event_page(*, user, filters: dict | None = None, skip: int = 0, limit: int = 20) -> tuple[int, list[Event]]:
    """The list's total and its page, in one query (`event_list`'s order); the count alone
    when the page is empty (past the end)."""
    clauses, params = _where(user, filters or {})
    page_sql, page_params = _page(clauses, params, skip, limit, filters)
    total = f", total AS (SELECT COUNT(*) AS n FROM {_EVENT} e {_where_sql(clauses)})"  # noqa: S608 - no input in the text
    events, count = _read(
        user, [], [], _PAGE_ORDER.format(p="p."), [], page=(page_sql + total, [*page_params, *params]), total=True
    )
    return (count, events) if events else (event_count(user=user, filters=filters), [])


def event_list(*, user, filters: dict | None = None, skip: int = 0, limit: int | None = None) -> list[Event]:
    """The events the user may see (`limit` of them from `skip`, or all), upcoming first
    (soonest first), then past ones (latest first)."""
    clauses, params = _where(user, filters or {})
    if limit is not None:
        page = _page(clauses, params, skip, limit, filters)
        return _rows(user, [], [], _PAGE_ORDER.format(p="p."), [], page=page)
    now = _moment(timezone.now())
    order = (
        "ORDER BY CASE WHEN e.ends_at < %s THEN 1 ELSE 0 END,"
        " CASE WHEN e.ends_at >= %s THEN e.starts_at END ASC NULLS LAST, e.starts_at DESC, e.id ASC"
    )
    return _rows(user, clauses, params, order, [now, now])


def event_get(*, user, event_id=None, slug: str | None = None) -> Event | None:
    """One event the user may see (by id, or by `slug` for shareable page URLs), annotated
    like the list; None otherwise."""
    if slug is not None:
        condition, value = "e.slug = %s", str(slug)
    else:
        try:
            condition, value = "e.id = %s", _uuid(event_id)
        except (ValueError, TypeError, ValidationError):
            return None
    clauses, params = _where(user, {})
    rows = _rows(user, [condition, *clauses], [value, *params], "", [])
    return rows[0] if rows else None


# --- what a visitor without an account sees on the member pages -------------------------


def public_event_page(*, filters: dict | None = None, skip: int = 0, limit: int = 20) -> tuple[int, list[Event]]:
    """`event_page` for a visitor without an account: published events that are not
    members-only, or nothing when EVENTS_PUBLIC is off. Same queries as a member's list."""
    if not settings.EVENTS_PUBLIC:
        return 0, []
    return event_page(user=AnonymousUser(), filters=filters, skip=skip, limit=limit)


def public_event_list(*, filters: dict | None = None, skip: int = 0, limit: int = 20) -> list[Event]:
    """The events of `public_event_page`, without the total."""
    if not settings.EVENTS_PUBLIC:
        return []
    return event_list(user=AnonymousUser(), filters=filters, skip=skip, limit=limit)


def public_event(*, event_id=None, slug: str | None = None) -> Event | None:
    """One event a visitor without an account may see (`event_public`), or None."""
    if not settings.EVENTS_PUBLIC:
        return None
    return event_get(user=AnonymousUser(), event_id=event_id, slug=slug)


def with_waitlist_rank(queryset):
    """`waitlist_rank`: 1 for the first person waiting (positions have gaps; the rank has none)."""
    ahead = Registration.objects.filter(
        event=OuterRef("event"),
        status=RegistrationStatus.WAITLISTED,
        waitlist_position__lte=OuterRef("waitlist_position"),
    )
    return queryset.annotate(
        waitlist_rank=Case(
            When(status=RegistrationStatus.WAITLISTED, then=_count(ahead)), default=None, output_field=IntegerField()
        )
    )


def in_attendee_order(queryset):
    """Seats in registration order, then the waiting list in order, then cancellations."""
    group = Case(
        When(status__in=SEAT_STATUSES, then=Value(0)),
        When(status=RegistrationStatus.WAITLISTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.alias(group=group).order_by("group", "waitlist_position", "created_at", "id")


def event_registrations(*, event_id, statuses=None):
    """The attendee list, with each waiting person's rank, in attendee order."""
    queryset = with_waitlist_rank(Registration.objects.filter(event_id=event_id).select_related("user"))
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    return in_attendee_order(queryset)


def waitlist(*, event_id):
    return (
        Registration.objects.filter(event_id=event_id, status=RegistrationStatus.WAITLISTED)
        .select_related("user")
        .order_by("waitlist_position")
    )


def user_registrations(*, user):
    """The user's registrations, newest event first, with the event joined."""
    return (
        with_waitlist_rank(Registration.objects.filter(user_id=user.pk))
        .select_related("event")
        .order_by("-event__starts_at", "-created_at", "id")
    )


def feed_events(*, user):
    """Events for the user's calendar feed: those they hold a seat for, from 90 days ago on
    (cancelled ones included, so calendars strike them out)."""
    since = timezone.now() - timedelta(days=90)
    seats = Registration.objects.filter(event=OuterRef("pk"), user_id=user.pk, status__in=SEAT_STATUSES)
    return (
        Event.objects.filter(Exists(seats), ends_at__gte=since)
        .exclude(status__in=(EventStatus.DRAFT, EventStatus.REJECTED))
        .order_by("starts_at")
    )


def awaiting_review_by(user, queryset=None):
    """The PENDING events (of `queryset`) that `user` neither created nor submitted: the query
    form of `rules.can_review`, for a manager or admin."""
    queryset = Event.objects.all() if queryset is None else queryset
    return queryset.filter(status=EventStatus.PENDING).exclude(created_by_id=user.pk).exclude(submitted_by_id=user.pk)


def events_waiting_for_review(*, user) -> int:
    """How many PENDING events `user` (a manager or admin) may review."""
    if not is_staff(user):
        return 0
    return awaiting_review_by(user).count()


def attendees_seen_by(*, event_id, viewer) -> list[dict]:
    """Who else is coming, as an attendee sees it: the people holding a seat who opted in to
    being shown (`users.selectors.directory_visible`), with `DIRECTORY_FIELDS` only, in
    nickname order; for a viewer who holds a seat (or staff), else nobody. One query."""
    viewer_pk = getattr(viewer, "pk", None)
    if viewer_pk is None:
        return []
    seats = Registration.objects.filter(event_id=event_id, status__in=SEAT_STATUSES)
    people = directory_visible().filter(Exists(seats.filter(user=OuterRef("pk"))))
    if not is_staff(viewer):
        people = people.filter(Exists(seats.filter(user_id=viewer_pk)))
    return list(people.order_by("nickname").values(*DIRECTORY_FIELDS))
