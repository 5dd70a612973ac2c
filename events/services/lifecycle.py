"""The event lifecycle: create, edit, delete, submit, approve, reject, cancel.

Every state change takes the acting user, checks the transition against
`rules.TRANSITIONS`, writes the change and its audit row in one transaction and
schedules its notices on commit (`notify` queues email after commit).
"""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record
from notifications.services import notify, notify_many
from users.models import STAFF_ROLES, Role, User

from .. import notices
from ..models import (
    EDITABLE_FIELDS,
    LOGISTICS_FIELDS,
    SEAT_STATUSES,
    WHEN_WHERE_FIELDS,
    Event,
    EventStatus,
    RegistrationStatus,
)
from ..rules import can_edit, can_review, can_transition, is_staff, registration_paused
from .errors import EventError, InvalidTransition, NotAllowed
from .locking import locked_event
from .registrations import promote_waitlist


def _require_transition(event: Event, target: str) -> None:
    if not can_transition(event.status, target):
        raise InvalidTransition(event, target)


def _require_edit(actor, event: Event) -> None:
    if not can_edit(actor, event):
        raise NotAllowed("Only the event's creator, a manager or an admin may do this.")


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


def _registrants_by_seat(event: Event) -> tuple[list, list]:
    """(seat holders, the waiting list): user ids, in one query."""
    rows = event.registrations.filter(status__in=(*SEAT_STATUSES, RegistrationStatus.WAITLISTED)).values_list(
        "user_id", "status"
    )
    seated, waiting = [], []
    for user_id, status in rows:
        (waiting if status == RegistrationStatus.WAITLISTED else seated).append(user_id)
    return seated, waiting


def _notify_edit(
    event: Event, actor: User, before: dict, changes: dict, *, published: bool, paused: bool, promoted
) -> None:
    """One notice per registrant for one edit (README: digests per kind).

    A change of time or place goes at once (`events.changed`, naming any other edit beside it);
    a change of the link to join alone is a change of place for seat holders only, who alone
    may read the link. Other edits of an approved event (`notices.NOTICED_FIELDS`) are
    `events.updated`, which may wait for the digest; someone just promoted by a larger capacity
    is told by their promotion instead. The waiting list never gets the link. An edit while a
    published event is back in review is told as well (members see it on the event page), with
    registration paused said beside it."""
    edits = notices.edits_for(changes)
    old_place = notices.place(before["location"], before["online_url"])
    moved = [name for name in ("starts_at", "ends_at", "location") if name in changes]
    if "online_url" in changes and old_place != notices.place(event.location, event.online_url):
        moved.append("online_url")
    relinked = "online_url" in changes and "online_url" not in moved
    if not (moved or relinked or edits):
        return
    seated, waiting = _registrants_by_seat(event)
    changed = dict(
        kind=notices.CHANGED,
        actor=actor,
        dedupe_key=f"{event.pk}:{event.sequence}",
    )
    extra = dict(previous=notices.previous_for(before), paused=paused, edits=edits)
    if moved or relinked:
        notify_many(
            recipients=seated,
            context=notices.context_for(event, with_online_url=True, changed=moved or ["online_url"], **extra),
            **changed,
        )
    if moved:
        notify_many(recipients=waiting, context=notices.context_for(event, changed=moved, **extra), **changed)
        return
    if not edits or not published:
        return
    skip = {registration.user_id for registration in promoted}
    recipients = [pk for pk in (waiting if relinked else [*seated, *waiting]) if pk not in skip]
    notify_many(
        recipients=recipients,
        kind=notices.UPDATED,
        context=notices.context_for(event, edits=edits, paused=paused),
        actor=actor,
        dedupe_key=f"{event.pk}:updated:{event.updated_at.isoformat()}",
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


@transaction.atomic
def event_create(*, actor: User, **fields) -> Event:
    """A DRAFT by a manager or admin; it starts in the future."""
    if not is_staff(actor):
        raise NotAllowed("Only managers and admins may create events.")
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
    told of what they can see change, once per edit (`_notify_edit`); a larger
    capacity promotes people from the waiting list at once. A CANCELLED event cannot be edited.
    """
    event = locked_event(event_id, actor=actor)
    _require_edit(actor, event)
    if event.status == EventStatus.CANCELLED:
        raise InvalidTransition(event, "edit")
    if not data:
        raise ValidationError({"non_field_errors": ["No fields to update."]})
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    before = _snapshot(event, EDITABLE_FIELDS)
    # What members see: an approved event, or one back in review that they still see (with
    # registration paused). An edit of either reaches its registrants; a draft's does not.
    published = event.status == EventStatus.APPROVED or registration_paused(event)
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
    if back_to_review:
        _notify_reviewers(event, actor)
    promoted = promote_waitlist(event, actor=actor) if "capacity" in changes else []
    _notify_edit(
        event, actor, before, changes, published=published, paused=registration_paused(event), promoted=promoted
    )
    return event


@transaction.atomic
def event_delete(*, actor: User, event_id) -> None:
    """Only a DRAFT can be deleted (anything members may have seen is cancelled instead)."""
    event = locked_event(event_id, actor=actor)
    _require_edit(actor, event)
    if event.status != EventStatus.DRAFT:
        raise EventError(f"Only a DRAFT can be deleted; this event is {event.status} (cancel it instead).")
    audit_record(actor=actor, action="event.deleted", target=event, note=event.title)
    event.delete()


def _notify_reviewers(event: Event, actor: User) -> None:
    notify_many(
        recipients=_reviewers(event, exclude=[actor.pk]),
        kind=notices.SUBMITTED,
        context=notices.context_for(event, with_online_url=True, submitted_by=str(actor)),
        actor=actor,
    )


@transaction.atomic
def event_submit(*, actor: User, event_id) -> Event:
    """DRAFT or REJECTED → PENDING; every other manager and admin is told at once."""
    event = locked_event(event_id, actor=actor)
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
        raise NotAllowed("Only managers and admins may review events.")
    if not can_review(actor, event):
        raise NotAllowed("You cannot review an event you created or submitted; another manager must.")


def _record_review(actor: User, event: Event, target: str, feedback: str, *, kind: str, note: str = "") -> None:
    """PENDING → `target`: the reviewer, the time and the feedback written and audited, and the creator told."""
    event.status, event.reviewed_by, event.reviewed_at, event.review_feedback = target, actor, timezone.now(), feedback
    fields = ["status", "reviewed_by", "reviewed_at", "review_feedback", "updated_at"]
    if target == EventStatus.APPROVED:  # members see it from now on
        event.published_at = event.published_at or event.reviewed_at
        fields.append("published_at")
    event.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=f"event.{target.lower()}",
        target=event,
        changes={"status": [EventStatus.PENDING, target]},
        note=note,
    )
    if event.created_by is not None:
        notify(
            recipient=event.created_by,
            kind=kind,
            context=notices.context_for(event, with_online_url=True, reviewed_by=str(actor), feedback=feedback),
            actor=actor,
        )


@transaction.atomic
def event_approve(*, actor: User, event_id, feedback: str = "") -> Event:
    """PENDING → APPROVED by a manager or admin other than the creator and the submitter."""
    event = locked_event(event_id, actor=actor)
    _review(actor, event, EventStatus.APPROVED)
    if event.starts_at <= timezone.now():
        raise EventError("This event has already started; it cannot be approved.")
    _record_review(actor, event, EventStatus.APPROVED, feedback, kind=notices.APPROVED)
    return event


@transaction.atomic
def event_reject(*, actor: User, event_id, feedback: str) -> Event:
    """PENDING → REJECTED, with feedback (required) for the creator, who may edit and resubmit."""
    feedback = (feedback or "").strip()
    if not feedback:
        raise ValidationError({"feedback": ["Tell the creator what to change."]})
    event = locked_event(event_id, actor=actor)
    _review(actor, event, EventStatus.REJECTED)
    _record_review(actor, event, EventStatus.REJECTED, feedback, kind=notices.REJECTED, note=feedback)
    return event


@transaction.atomic
def event_cancel(*, actor: User, event_id, reason: str = "") -> Event:
    """Any state but CANCELLED → CANCELLED; everyone registered or waiting is told."""
    event = locked_event(event_id, actor=actor)
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
