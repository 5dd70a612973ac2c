"""Reads: who may see which event, the event list with the caller's own registration, attendee lists.

Every list is one query for the page plus one count, whatever the page size:
the caller's registration, waiting-list rank and the waiting-list length are
subqueries of the page query, and the people are joined, never fetched per row.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import LIVE_STATUSES, SEAT_STATUSES, Event, EventStatus, Registration, RegistrationStatus
from .rules import is_staff


def visible_q(user) -> Q:
    """Managers and admins see every event; members see APPROVED ones, those they saw before a
    cancellation, their own, and any they hold a registration for (an approved event whose
    time changed is back in review, and its registrants still need to see it)."""
    if is_staff(user):
        return Q()
    registered = Registration.objects.filter(event=OuterRef("pk"), user_id=user.pk, status__in=LIVE_STATUSES)
    return (
        Q(status=EventStatus.APPROVED)
        | Q(status=EventStatus.CANCELLED, published_at__isnull=False)
        | Q(created_by_id=user.pk)
        | Exists(registered)
    )


def event_visible_to(event: Event, user) -> bool:
    if is_staff(user) or event.created_by_id == user.pk:
        return True
    if event.status == EventStatus.APPROVED or (
        event.status == EventStatus.CANCELLED and event.published_at is not None
    ):
        return True
    return Registration.objects.filter(event=event, user_id=user.pk, status__in=LIVE_STATUSES).exists()


def _count(queryset):
    return Coalesce(
        Subquery(queryset.order_by().values("event").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def with_caller(queryset, user):
    """Annotate each event with the caller's live registration and the waiting list's length."""
    mine = Registration.objects.filter(event=OuterRef("pk"), user_id=user.pk, status__in=LIVE_STATUSES)
    ahead = Registration.objects.filter(
        event=OuterRef(OuterRef("pk")),
        status=RegistrationStatus.WAITLISTED,
        waitlist_position__lte=OuterRef("waitlist_position"),
    )
    return queryset.select_related("created_by", "reviewed_by").annotate(
        my_registration_id=Subquery(mine.values("pk")[:1]),
        my_registration_status=Subquery(mine.values("status")[:1]),
        my_registration_created_at=Subquery(mine.values("created_at")[:1]),
        my_waitlist_rank=Subquery(mine.annotate(rank=_count(ahead)).values("rank")[:1]),
        waitlist_count=_count(Registration.objects.filter(event=OuterRef("pk"), status=RegistrationStatus.WAITLISTED)),
    )


def event_list(*, user, filters: dict | None = None):
    """Events the user may see, upcoming first (soonest first), then past ones (latest first)."""
    filters = filters or {}
    now = timezone.now()
    queryset = Event.objects.filter(visible_q(user))
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("from"):
        queryset = queryset.filter(ends_at__gte=filters["from"])
    if filters.get("to"):
        queryset = queryset.filter(starts_at__lt=filters["to"])
    if filters.get("q"):
        text = filters["q"]
        queryset = queryset.filter(
            Q(title__icontains=text) | Q(description__icontains=text) | Q(location__icontains=text)
        )
    if filters.get("mine"):
        registered = Registration.objects.filter(event=OuterRef("pk"), user_id=user.pk, status__in=LIVE_STATUSES)
        queryset = queryset.filter(Q(created_by_id=user.pk) | Exists(registered))
    past = Case(When(ends_at__lt=now, then=Value(1)), default=Value(0), output_field=IntegerField())
    upcoming_start = Case(When(ends_at__gte=now, then=F("starts_at")))
    queryset = queryset.alias(past=past, upcoming_start=upcoming_start)
    return with_caller(queryset, user).order_by("past", F("upcoming_start").asc(nulls_last=True), "-starts_at", "id")


def event_get(*, user, event_id) -> Event | None:
    """One event the user may see, annotated like the list; None otherwise."""
    try:
        return with_caller(Event.objects.filter(visible_q(user)), user).filter(pk=event_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


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
