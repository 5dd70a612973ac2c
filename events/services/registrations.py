"""Registrations: register (a seat or the waiting list), cancel, check in, and the
release of a deleted account's seats. Every one locks the event row first
(see `locking`), so seats and waiting-list places never race."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import audit_record
from core import metrics
from notifications.services import notify
from users.models import User

from .. import notices
from ..models import LIVE_STATUSES, SEAT_STATUSES, Event, EventStatus, Registration, RegistrationStatus
from ..rules import can_edit, check_in_window, registration_paused
from .errors import AlreadyRegistered, CheckInRefused, EventError, NotAllowed, NotRegistered, RegistrationRefused
from .locking import add_seats, as_uuid, locked_event

REGISTRATIONS = metrics.counter(
    "event_manager_registrations_total", "Registrations made, by the status they got.", ["status"]
)
WAITLIST_PROMOTIONS = metrics.counter("event_manager_waitlist_promotions_total", "Promotions from the waiting list.")


def _check_can_register(actor: User, event: Event, now) -> None:
    if not actor.email_verified:
        raise RegistrationRefused("Verify your email address before registering for events.")
    if event.status == EventStatus.CANCELLED:
        raise RegistrationRefused("This event was cancelled.")
    if registration_paused(event):
        raise RegistrationRefused("Registration is paused while this event's changes are reviewed; try again later.")
    if event.status != EventStatus.APPROVED:
        raise RegistrationRefused(f"Registration is only possible for APPROVED events; this one is {event.status}.")
    if event.starts_at <= now:
        raise RegistrationRefused("This event has already started.")
    if event.registration_opens_at and now < event.registration_opens_at:
        raise RegistrationRefused(f"Registration opens at {event.registration_opens_at.isoformat()}.")
    if event.registration_closes_at and now >= event.registration_closes_at:
        raise RegistrationRefused("Registration is closed.")
    if event.pro_only and not actor.is_professional:
        raise RegistrationRefused("This event is for professional members only.")


@transaction.atomic
def registration_create(*, actor: User, event_id) -> Registration:
    """Register the actor: CONFIRMED while seats are left, else WAITLISTED at the end of the list.

    Race-free under concurrency: see `events.services.locking` (the event row is
    locked first, so the seat check, the seat count and the position are one step).
    """
    event = locked_event(event_id, actor=actor)
    now = timezone.now()
    _check_can_register(actor, event, now)
    if event.registrations.filter(user=actor, status__in=LIVE_STATUSES).exists():
        raise AlreadyRegistered("You are already registered for this event.")
    registration = Registration(event=event, user=actor)
    if event.capacity is None or event.seats_taken < event.capacity:
        registration.status, registration.confirmed_at = RegistrationStatus.CONFIRMED, now
        add_seats(event, 1)
    else:
        last = event.registrations.filter(status=RegistrationStatus.WAITLISTED).aggregate(last=Max("waitlist_position"))
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlist_position = (last["last"] or 0) + 1
    try:
        with transaction.atomic():
            registration.save(force_insert=True)
    except IntegrityError:  # the partial unique index: only reachable if the lock was bypassed
        raise AlreadyRegistered("You are already registered for this event.") from None
    registration.event = event
    audit_record(
        actor=actor,
        action=f"registration.{registration.status.lower()}",
        target=registration,
        changes={"status": [None, registration.status]},
    )
    transaction.on_commit(REGISTRATIONS.labels(status=registration.status.lower()).inc)
    if registration.status == RegistrationStatus.CONFIRMED:
        notify(
            recipient=actor,
            kind=notices.REGISTRATION_CONFIRMED,
            context=notices.context_for(event, with_online_url=True),
            dedupe_key=str(registration.pk),
        )
    else:
        registration.waitlist_rank = waitlist_rank(registration)  # as the selectors annotate it
        notify(
            recipient=actor,
            kind=notices.WAITLISTED,
            context=notices.context_for(event, position=registration.waitlist_rank),
            dedupe_key=str(registration.pk),
        )
    return registration


def waitlist_rank(registration: Registration) -> int | None:
    """1 for the first person waiting (positions have gaps; the rank has none)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return Registration.objects.filter(
        event_id=registration.event_id,
        status=RegistrationStatus.WAITLISTED,
        waitlist_position__lte=registration.waitlist_position,
    ).count()


def promote_waitlist(event: Event, *, actor: User | None) -> list[Registration]:
    """Fill free seats from the head of the waiting list (the caller holds the event lock)."""
    if event.status == EventStatus.CANCELLED or event.starts_at <= timezone.now():
        return []
    free = None if event.capacity is None else event.capacity - event.seats_taken
    waiting = event.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by("waitlist_position")
    promoted = list(waiting if free is None else waiting[: max(free, 0)])
    if not promoted:
        return []
    now = timezone.now()
    for registration in promoted:
        registration.status, registration.waitlist_position, registration.confirmed_at = (
            RegistrationStatus.CONFIRMED,
            None,
            now,
        )
        registration.save(update_fields=["status", "waitlist_position", "confirmed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="registration.promoted",
            target=registration,
            changes={"status": [RegistrationStatus.WAITLISTED, RegistrationStatus.CONFIRMED]},
        )
        notify(
            recipient=registration.user,
            kind=notices.PROMOTED,
            context=notices.context_for(event, with_online_url=True),
            dedupe_key=f"{registration.pk}:promoted",
        )
    add_seats(event, len(promoted))
    transaction.on_commit(lambda: WAITLIST_PROMOTIONS.inc(len(promoted)))
    return promoted


def release_registration(event: Event, registration: Registration, *, actor: User | None, note: str = "") -> None:
    """Cancel `registration`; a seat it held goes to the head of the waiting list at once
    (the caller holds the event lock, so no newcomer slips into the freed seat)."""
    before = registration.status
    registration.status, registration.waitlist_position, registration.cancelled_at = (
        RegistrationStatus.CANCELLED,
        None,
        timezone.now(),
    )
    registration.save(update_fields=["status", "waitlist_position", "cancelled_at", "updated_at"])
    audit_record(
        actor=actor,
        action="registration.cancelled",
        target=registration,
        changes={"status": [before, registration.status]},
        note=note,
    )
    if before in SEAT_STATUSES:
        add_seats(event, -1)
        promote_waitlist(event, actor=actor)


@transaction.atomic
def registration_cancel(*, actor: User, event_id, user_id=None) -> Registration:
    """Cancel the actor's registration (or, for staff, `user_id`'s).

    A freed seat goes to the first person on the waiting list in the same
    transaction, under the same lock, and that person is emailed.
    """
    event = locked_event(event_id, actor=actor)
    user_id = actor.pk if user_id is None else as_uuid(user_id)
    if user_id != actor.pk and not can_edit(actor, event):
        raise NotAllowed("Only staff may cancel another person's registration.")
    registration = event.registrations.select_related("user").filter(user_id=user_id, status__in=LIVE_STATUSES).first()
    if registration is None:
        raise NotRegistered("There is no registration to cancel.")
    if registration.status == RegistrationStatus.ATTENDED:
        raise EventError("This registration was already checked in; it cannot be cancelled.")
    if event.ends_at <= timezone.now():
        raise EventError("This event is over; its registrations can no longer be cancelled.")
    release_registration(event, registration, actor=actor)
    return registration


def _check_in_allowed(event: Event, now=None) -> None:
    """Never on a cancelled event; only from CHECK_IN_OPENS_HOURS_BEFORE hours before the start
    until the end (`rules.check_in_window`)."""
    if event.status == EventStatus.CANCELLED:
        raise CheckInRefused("This event was cancelled: nobody can be checked in.")
    now = now or timezone.now()
    opens, closes = check_in_window(event)
    if now < opens:
        raise CheckInRefused(f"Check-in opens at {opens.isoformat()}, {_hours(opens, event)} before the event starts.")
    if now > closes:
        raise CheckInRefused(f"Check-in closed when the event ended at {closes.isoformat()}.")


def _hours(opens, event: Event) -> str:
    hours = (event.starts_at - opens).total_seconds() / 3600
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


@transaction.atomic
def registration_check_in(*, actor: User, event_id, user_id) -> tuple[Registration, bool]:
    """CONFIRMED → ATTENDED (staff); returns (registration, whether it changed). Idempotent."""
    event = locked_event(event_id, actor=actor)
    if not can_edit(actor, event):
        raise NotAllowed("Only staff may check people in.")
    _check_in_allowed(event)
    registration = event.registrations.select_related("user").filter(user_id=user_id, status__in=LIVE_STATUSES).first()
    if registration is None:
        raise NotRegistered("This person is not registered for this event.")
    if registration.status == RegistrationStatus.ATTENDED:
        return registration, False
    if registration.status != RegistrationStatus.CONFIRMED:
        raise EventError(f"Only a CONFIRMED registration can be checked in; this one is {registration.status}.")
    if event.status != EventStatus.APPROVED:
        raise EventError(f"Check-in is only possible for APPROVED events; this one is {event.status}.")
    registration.status, registration.checked_in_at, registration.checked_in_by = (
        RegistrationStatus.ATTENDED,
        timezone.now(),
        actor,
    )
    registration.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
    audit_record(
        actor=actor,
        action="registration.checked_in",
        target=registration,
        changes={"status": [RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED]},
    )
    return registration, True


@transaction.atomic
def registrations_release_for_user(*, user: User) -> int:
    """Before an account is deleted: give back its seats (and waiting-list places) in events
    that have not ended, promoting the next people waiting. Returns how many were released.

    Called from the pre_delete hook in events/signals.py (users/ never imports events/).
    Without it the cascade would delete the rows but leave `seats_taken` counting them.
    """
    held = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    event_ids = list(
        Registration.objects.filter(user=user, status__in=held, event__ends_at__gt=timezone.now())
        .order_by("event_id")  # one lock order for every caller: no deadlocks
        .values_list("event_id", flat=True)
    )
    released = 0
    for event_id in event_ids:
        event = locked_event(event_id)
        registration = event.registrations.filter(user=user, status__in=held).first()
        if registration is None:
            continue
        release_registration(event, registration, actor=None, note="The account was deleted.")
        released += 1
    return released
