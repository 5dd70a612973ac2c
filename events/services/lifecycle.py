"""Event rules: create, edit, submit, approve, reject, cancel; register, cancel, check in.

The API views, the admin and the management commands all call these. Every
state change takes the acting user, checks the transition against
`TRANSITIONS`, writes the change and its audit row in one transaction and
schedules its notices on commit (`notify` queues email after commit).

Capacity and the waiting list (why this is race-free)
------------------------------------------------------
Every service that changes seats starts by locking the event row
(`SELECT ... FOR UPDATE`, `_locked_event`). Concurrent registrations for the
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
serialise the transaction as a whole (see `_locked_event`). This is pretix's
approach too (a per-event lock around quota checks), at the size we need.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record
from notifications.services import notify, notify_many
from users.models import STAFF_ROLES, Role, User

from . import notices
from .models import (
    EDITABLE_FIELDS,
    LIVE_STATUSES,
    LOGISTICS_FIELDS,
    SEAT_STATUSES,
    WHEN_WHERE_FIELDS,
    CalendarFeedToken,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    hash_feed_token,
)
from .selectors import event_visible_to

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


class EventError(Exception):
    """A domain rule refused the request; the API answers `status_code` with `message` as `detail`."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(EventError):
    def __init__(self, event: Event, target: str):
        self.current = event.status
        verb = VERBS.get(target, target)
        super().__init__(f"Cannot {verb} an event that is {event.status}.")


class RegistrationRefused(EventError):
    """Not verified, not a professional, outside the window, past or cancelled event."""


class AlreadyRegistered(EventError):
    status_code = 409


class NotRegistered(EventError):
    status_code = 404


class EventNotFound(EventError):
    """No such event, or one the actor may not see (the API answers 404 for both)."""

    status_code = 404

    def __init__(self):
        super().__init__("No Event matches the given query.")


# --- helpers -----------------------------------------------------------------


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _locked_event(event_id, *, actor: User | None = None) -> Event:
    """The event row, locked until the transaction ends; EventNotFound when the actor may not see it.

    PostgreSQL: `SELECT ... FOR UPDATE` serialises every seat-changing
    transaction of this event. SQLite ignores FOR UPDATE, so a harmless first
    write takes SQLite's database write lock before anything is read; a second
    transaction then waits (busy timeout) instead of reading stale counts.
    """
    event_id = _as_uuid(event_id)
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


def _require_transition(event: Event, target: str) -> None:
    if target not in TRANSITIONS[EventStatus(event.status)]:
        raise InvalidTransition(event, target)


def is_staff(user) -> bool:
    return getattr(user, "role", None) in STAFF_ROLES


def can_edit(user, event: Event) -> bool:
    """The creator, or any manager or admin."""
    return is_staff(user) or (event.created_by_id is not None and event.created_by_id == user.pk)


def can_review(user, event: Event) -> bool:
    """Four eyes: a manager or admin who neither created nor (re)submitted the event."""
    return is_staff(user) and user.pk not in (event.created_by_id, event.submitted_by_id)


def _require_edit(actor, event: Event) -> None:
    if not can_edit(actor, event):
        raise PermissionDenied("Only the event's creator, a manager or an admin may do this.")


def _reviewers(event: Event, *, exclude=()):
    """Managers and admins (unlocked) who may review `event`."""
    skip = {pk for pk in (event.created_by_id, event.submitted_by_id, *exclude) if pk is not None}
    return User.objects.filter(role__in=STAFF_ROLES, is_locked=False).exclude(pk__in=skip)


def _registrant_ids(event: Event) -> list:
    return list(
        event.registrations.filter(
            status__in=(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
        ).values_list("user_id", flat=True)
    )


def _validate(event: Event) -> None:
    """The model's rules (the admin form runs the same ones). The check constraints repeat
    them in the database; `clean()` names the field, so they are not queried twice."""
    event.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)


def _unique_slug(title: str) -> str:
    base = slugify(title)[:200].strip("-") or "event"
    return f"{base}-{secrets.token_hex(3)}"


def _snapshot(event: Event, fields) -> dict:
    return {name: getattr(event, name) for name in fields}


def _changes(before: dict, event: Event) -> dict:
    return {name: [old, getattr(event, name)] for name, old in before.items() if old != getattr(event, name)}


# --- events ---------------------------------------------------------------------


@transaction.atomic
def event_create(*, actor: User, **fields) -> Event:
    """A DRAFT by a manager or admin; it starts in the future."""
    if not is_staff(actor):
        raise PermissionDenied("Only managers and admins may create events.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    event = Event(created_by=actor, **fields)
    event.slug = _unique_slug(event.title or "")
    _validate(event)
    if event.starts_at <= timezone.now():
        raise ValidationError({"starts_at": ["The event must start in the future."]})
    event.save(force_insert=True)
    audit_record(actor=actor, action="event.created", target=event, changes={"status": [None, event.status]})
    return event


@transaction.atomic
def event_update(*, actor: User, event_id, data: dict) -> Event:
    """Change the fields in `data`.

    Changing when, where or how many on an APPROVED event sends it back to
    PENDING for another review, unless the editor is an ADMIN. Registrants are
    told when the time or place changed; a larger capacity promotes people from
    the waiting list at once. A CANCELLED event cannot be edited.
    """
    event = _locked_event(event_id, actor=actor)
    _require_edit(actor, event)
    if event.status == EventStatus.CANCELLED:
        raise InvalidTransition(event, "edit")
    if not data:
        raise ValidationError({"non_field_errors": ["No fields to update."]})
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    before = _snapshot(event, EDITABLE_FIELDS)
    for name, value in data.items():
        setattr(event, name, value)
    _validate(event)
    changes = _changes(before, event)
    if not changes:
        return event
    fields = [*changes, "updated_at"]
    when_where = [name for name in WHEN_WHERE_FIELDS if name in changes]
    if when_where:
        event.sequence += 1
        fields.append("sequence")
    back_to_review = (
        event.status == EventStatus.APPROVED
        and any(name in changes for name in LOGISTICS_FIELDS)
        and actor.role != Role.ADMIN
    )
    if back_to_review:
        event.status, event.submitted_by, event.submitted_at = EventStatus.PENDING, actor, timezone.now()
        event.reviewed_by, event.reviewed_at = None, None
        fields += ["status", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at"]
        changes["status"] = [EventStatus.APPROVED, EventStatus.PENDING]
    event.save(update_fields=fields)
    audit_record(actor=actor, action="event.updated", target=event, changes=changes)
    if when_where:
        notify_many(
            recipients=_registrant_ids(event),
            kind=notices.CHANGED,
            context=notices.context_for(event, changed=when_where),
            actor=actor,
            dedupe_key=f"{event.pk}:{event.sequence}",
        )
    if back_to_review:
        _notify_reviewers(event, actor)
    if "capacity" in changes:
        _promote_waitlist(event, actor=actor)
    return event


@transaction.atomic
def event_delete(*, actor: User, event_id) -> None:
    """Only a DRAFT can be deleted (anything members may have seen is cancelled instead)."""
    event = _locked_event(event_id, actor=actor)
    _require_edit(actor, event)
    if event.status != EventStatus.DRAFT:
        raise EventError(f"Only a DRAFT can be deleted; this event is {event.status} (cancel it instead).")
    audit_record(actor=actor, action="event.deleted", target=event, note=event.title)
    event.delete()


def _notify_reviewers(event: Event, actor: User) -> None:
    notify_many(
        recipients=_reviewers(event, exclude=[actor.pk]),
        kind=notices.SUBMITTED,
        context=notices.context_for(event, submitted_by=str(actor)),
        actor=actor,
    )


@transaction.atomic
def event_submit(*, actor: User, event_id) -> Event:
    """DRAFT or REJECTED → PENDING; every other manager and admin is told at once."""
    event = _locked_event(event_id, actor=actor)
    _require_edit(actor, event)
    _require_transition(event, EventStatus.PENDING)
    if event.status == EventStatus.APPROVED:
        raise InvalidTransition(event, EventStatus.PENDING)  # an approved event returns to review by an edit
    if event.starts_at <= timezone.now():
        raise EventError("This event has already started; change its date before submitting it.")
    before = event.status
    event.status, event.submitted_by, event.submitted_at = EventStatus.PENDING, actor, timezone.now()
    event.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit_record(actor=actor, action="event.submitted", target=event, changes={"status": [before, event.status]})
    _notify_reviewers(event, actor)
    return event


def _review(actor: User, event: Event, target: str) -> None:
    _require_transition(event, target)
    if not is_staff(actor):
        raise PermissionDenied("Only managers and admins may review events.")
    if not can_review(actor, event):
        raise PermissionDenied("You cannot review an event you created or submitted; another manager must.")


@transaction.atomic
def event_approve(*, actor: User, event_id, feedback: str = "") -> Event:
    """PENDING → APPROVED by a manager or admin other than the creator and the submitter."""
    event = _locked_event(event_id, actor=actor)
    _review(actor, event, EventStatus.APPROVED)
    if event.starts_at <= timezone.now():
        raise EventError("This event has already started; it cannot be approved.")
    now = timezone.now()
    event.status, event.reviewed_by, event.reviewed_at, event.review_feedback = (
        EventStatus.APPROVED,
        actor,
        now,
        feedback,
    )
    event.published_at = event.published_at or now
    event.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_feedback", "published_at", "updated_at"])
    audit_record(
        actor=actor, action="event.approved", target=event, changes={"status": [EventStatus.PENDING, event.status]}
    )
    if event.created_by is not None:
        notify(
            recipient=event.created_by,
            kind=notices.APPROVED,
            context=notices.context_for(event, reviewed_by=str(actor), feedback=feedback),
            actor=actor,
        )
    return event


@transaction.atomic
def event_reject(*, actor: User, event_id, feedback: str) -> Event:
    """PENDING → REJECTED, with feedback (required) for the creator, who may edit and resubmit."""
    feedback = (feedback or "").strip()
    if not feedback:
        raise ValidationError({"feedback": ["Tell the creator what to change."]})
    event = _locked_event(event_id, actor=actor)
    _review(actor, event, EventStatus.REJECTED)
    event.status, event.reviewed_by, event.reviewed_at, event.review_feedback = (
        EventStatus.REJECTED,
        actor,
        timezone.now(),
        feedback,
    )
    event.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_feedback", "updated_at"])
    audit_record(
        actor=actor,
        action="event.rejected",
        target=event,
        changes={"status": [EventStatus.PENDING, event.status]},
        note=feedback,
    )
    if event.created_by is not None:
        notify(
            recipient=event.created_by,
            kind=notices.REJECTED,
            context=notices.context_for(event, reviewed_by=str(actor), feedback=feedback),
            actor=actor,
        )
    return event


@transaction.atomic
def event_cancel(*, actor: User, event_id, reason: str = "") -> Event:
    """Any state but CANCELLED → CANCELLED; everyone registered or waiting is told."""
    event = _locked_event(event_id, actor=actor)
    _require_edit(actor, event)
    _require_transition(event, EventStatus.CANCELLED)
    before = event.status
    event.status, event.cancelled_at, event.cancellation_reason = EventStatus.CANCELLED, timezone.now(), reason
    event.sequence += 1
    event.save(update_fields=["status", "cancelled_at", "cancellation_reason", "sequence", "updated_at"])
    audit_record(
        actor=actor, action="event.cancelled", target=event, changes={"status": [before, event.status]}, note=reason
    )
    notify_many(
        recipients=_registrant_ids(event),
        kind=notices.CANCELLED,
        context=notices.context_for(event, reason=reason),
        actor=actor,
        dedupe_key=str(event.pk),
    )
    return event


# --- registrations ------------------------------------------------------------


def _check_can_register(actor: User, event: Event, now) -> None:
    if not actor.email_verified:
        raise RegistrationRefused("Verify your email address before registering for events.")
    if event.status == EventStatus.CANCELLED:
        raise RegistrationRefused("This event was cancelled.")
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

    Race-free under concurrency: see the module docstring (the event row is locked
    first, so the seat check, the seat count and the position are one step).
    """
    event = _locked_event(event_id, actor=actor)
    now = timezone.now()
    _check_can_register(actor, event, now)
    if event.registrations.filter(user=actor, status__in=LIVE_STATUSES).exists():
        raise AlreadyRegistered("You are already registered for this event.")
    registration = Registration(event=event, user=actor)
    if event.capacity is None or event.seats_taken < event.capacity:
        registration.status, registration.confirmed_at = RegistrationStatus.CONFIRMED, now
        Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") + 1)
        event.seats_taken += 1
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
    if registration.status == RegistrationStatus.CONFIRMED:
        notify(
            recipient=actor,
            kind=notices.REGISTRATION_CONFIRMED,
            context=notices.context_for(event),
            dedupe_key=str(registration.pk),
        )
    else:
        notify(
            recipient=actor,
            kind=notices.WAITLISTED,
            context=notices.context_for(event, position=waitlist_rank(registration)),
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


def _promote_waitlist(event: Event, *, actor: User | None) -> list[Registration]:
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
            context=notices.context_for(event),
            dedupe_key=f"{registration.pk}:promoted",
        )
    Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") + len(promoted))
    event.seats_taken += len(promoted)
    return promoted


@transaction.atomic
def registration_cancel(*, actor: User, event_id, user_id=None) -> Registration:
    """Cancel the actor's registration (or, for staff, `user_id`'s).

    A freed seat goes to the first person on the waiting list in the same
    transaction, under the same lock, and that person is emailed.
    """
    event = _locked_event(event_id, actor=actor)
    user_id = actor.pk if user_id is None else _as_uuid(user_id)
    if user_id != actor.pk and not can_edit(actor, event):
        raise PermissionDenied("Only staff may cancel another person's registration.")
    registration = event.registrations.select_related("user").filter(user_id=user_id, status__in=LIVE_STATUSES).first()
    if registration is None:
        raise NotRegistered("There is no registration to cancel.")
    if registration.status == RegistrationStatus.ATTENDED:
        raise EventError("This registration was already checked in; it cannot be cancelled.")
    if event.ends_at <= timezone.now():
        raise EventError("This event is over; its registrations can no longer be cancelled.")
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
    )
    if before in SEAT_STATUSES:
        Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") - 1)
        event.seats_taken -= 1
        _promote_waitlist(event, actor=actor)
    return registration


@transaction.atomic
def registration_check_in(*, actor: User, event_id, user_id) -> tuple[Registration, bool]:
    """CONFIRMED → ATTENDED (staff); returns (registration, whether it changed). Idempotent."""
    event = _locked_event(event_id, actor=actor)
    if not can_edit(actor, event):
        raise PermissionDenied("Only staff may check people in.")
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
    event_ids = list(
        Registration.objects.filter(
            user=user,
            status__in=(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED),
            event__ends_at__gt=timezone.now(),
        )
        .order_by("event_id")  # one lock order for every caller: no deadlocks
        .values_list("event_id", flat=True)
    )
    released = 0
    for event_id in event_ids:
        event = _locked_event(event_id)
        registration = event.registrations.filter(
            user=user, status__in=(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
        ).first()
        if registration is None:
            continue
        before = registration.status
        registration.status, registration.waitlist_position, registration.cancelled_at = (
            RegistrationStatus.CANCELLED,
            None,
            timezone.now(),
        )
        registration.save(update_fields=["status", "waitlist_position", "cancelled_at", "updated_at"])
        audit_record(
            actor=None,
            action="registration.cancelled",
            target=registration,
            changes={"status": [before, registration.status]},
            note="The account was deleted.",
        )
        if before == RegistrationStatus.CONFIRMED:
            Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") - 1)
            event.seats_taken -= 1
            _promote_waitlist(event, actor=None)
        released += 1
    return released


# --- reminders -----------------------------------------------------------------


def reminders_send(*, now=None) -> int:
    """Remind everyone holding a seat for an event starting within EVENTS_REMINDER_LEAD_HOURS; return how many.

    Idempotent: each registration is marked `reminded_at` in the same
    transaction that writes its notices (rows locked, skipping any another run
    holds), and the notices carry a per-event dedupe key, so running this twice,
    or on two beat schedulers at once, never reminds anyone twice.
    """
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.EVENTS_REMINDER_LEAD_HOURS)
    event_ids = (
        Registration.objects.filter(
            status=RegistrationStatus.CONFIRMED,
            reminded_at__isnull=True,
            event__status=EventStatus.APPROVED,
            event__starts_at__gt=now,
            event__starts_at__lte=horizon,
        )
        .order_by()
        .values_list("event_id", flat=True)
        .distinct()
    )
    return sum(_remind_event(event_id=event_id, now=now) for event_id in list(event_ids))


@transaction.atomic
def _remind_event(*, event_id, now) -> int:
    event = Event.objects.get(pk=event_id)
    rows = list(
        Registration.objects.select_for_update(skip_locked=True)
        .filter(event_id=event_id, status=RegistrationStatus.CONFIRMED, reminded_at__isnull=True)
        .values_list("pk", "user_id")
    )
    if not rows:
        return 0
    Registration.objects.filter(pk__in=[pk for pk, _ in rows]).update(reminded_at=now)
    return notify_many(
        recipients=[user_id for _, user_id in rows],
        kind=notices.REMINDER,
        context=notices.context_for(event),
        dedupe_key=str(event_id),
    )


# --- calendar feed tokens --------------------------------------------------------


@transaction.atomic
def calendar_token_create(*, user: User) -> str:
    """A new secret feed token for `user` (replacing any old one); returned once, stored hashed."""
    token = secrets.token_urlsafe(32)
    CalendarFeedToken.objects.filter(user=user).delete()
    CalendarFeedToken.objects.create(user=user, token_hash=hash_feed_token(token))
    audit_record(actor=user, action="calendar_feed.token_created", target=user)
    return token


@transaction.atomic
def calendar_token_revoke(*, user: User) -> bool:
    """Revoke the user's feed URL; False when there was none."""
    deleted, _ = CalendarFeedToken.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, action="calendar_feed.token_revoked", target=user)
    return bool(deleted)


def calendar_token_user(token: str) -> User | None:
    """The (unlocked) owner of a feed token, or None; marks the token used at most once an hour."""
    if not token or len(token) > 128:
        return None
    row = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=hash_feed_token(token), user__is_locked=False)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or row.last_used_at < now - timedelta(hours=1):
        CalendarFeedToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
