"""What each recipient wants to receive, per kind: the kind's defaults, their stored row, the locks.

A missing NotificationPreference row means the kind's defaults. A mandatory kind
is always on (its channels cannot be turned off); a daily digest is offered for the
email of every non-urgent kind, mandatory ones included (a registration's confirmation
may wait for the morning: it is still delivered).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import NotificationPreference
from .registry import CHANNELS, DIGEST_CHOICES, EMAIL, IMMEDIATELY, IN_APP, Kind, UnknownKind, get_kind, kinds


@dataclass(frozen=True)
class Choice:
    """What a recipient receives for one kind."""

    email: bool
    in_app: bool
    digest: str


def preference_choice(kind: Kind, row: NotificationPreference | None) -> Choice:
    """Effective choice: a mandatory kind is always on; digest only applies to non-urgent kinds."""
    if kind.mandatory:
        digest = kind.default_digest if row is None else row.digest
        return Choice(
            email=EMAIL in kind.channels,
            in_app=IN_APP in kind.channels,
            digest=digest if kind.digestible else IMMEDIATELY,
        )
    email = kind.default_email if row is None else row.email
    in_app = kind.default_in_app if row is None else row.in_app
    digest = kind.default_digest if row is None else row.digest
    return Choice(
        email=email and EMAIL in kind.channels,
        in_app=in_app and IN_APP in kind.channels,
        digest=digest if kind.digestible else IMMEDIATELY,
    )


def choices_for(kind: Kind, user_ids: list) -> dict:
    """{user_id: Choice} in one query (none for a kind with nothing to choose: mandatory and urgent)."""
    rows = {}
    if not kind.mandatory or kind.digestible:
        rows = {row.user_id: row for row in NotificationPreference.objects.filter(kind=kind.key, user_id__in=user_ids)}
    return {user_id: preference_choice(kind, rows.get(user_id)) for user_id in user_ids}


def preference_list(*, user) -> list[dict]:
    """Every registered kind with the user's effective choice and what may be changed (one query)."""
    return _preference_items({row.kind: row for row in NotificationPreference.objects.filter(user=user)}, user)


def _preference_items(rows: dict, user) -> list[dict]:
    """Only the kinds that can reach `user` (`Kind.reaches`: no review requests for a member)."""
    items = []
    for kind in kinds():
        if not kind.reaches(user):
            continue
        choice = preference_choice(kind, rows.get(kind.key))
        items.append(
            {
                "kind": kind.key,
                "label": kind.label,
                "description": kind.description,
                "channels": list(kind.channels),
                "mandatory": kind.mandatory,
                "urgent": kind.urgent,
                "email": choice.email if EMAIL in kind.channels else None,
                "in_app": choice.in_app if IN_APP in kind.channels else None,
                "digest": choice.digest if kind.digestible else None,
                "digest_choices": list(DIGEST_CHOICES) if kind.digestible else [IMMEDIATELY],
            }
        )
    return items


def check_change(kind: Kind, change: dict) -> list[str]:
    """What is wrong with one requested change, in words naming the kind."""
    problems = []
    for channel in CHANNELS:
        value = change.get(channel)
        if value is None:
            continue
        if channel not in kind.channels:
            if value:
                problems.append(f"{kind.key} has no {channel.replace('_', '-')} channel.")
        elif kind.mandatory and value is False:
            problems.append(f"{kind.key} is mandatory: its {channel.replace('_', '-')} notices cannot be turned off.")
    digest = change.get("digest")
    if digest is not None and digest != IMMEDIATELY and not kind.digestible:
        problems.append(f"{kind.key} is sent immediately; it cannot be put in a digest.")
    return problems


@transaction.atomic
def preferences_update(*, user, changes: list[dict]) -> list[dict]:
    """Apply `changes` ([{"kind", "email"?, "in_app"?, "digest"?}, ...]) all or nothing.

    Kinds not mentioned keep their choice. A ValidationError names every
    unknown kind and every change a kind does not allow (a mandatory kind
    turned off, a digest for an urgent kind)."""
    problems = []
    checked = []
    for change in changes:
        try:
            kind = get_kind(change["kind"])
        except UnknownKind:
            problems.append(f"{change['kind']} is not a notification kind.")
            continue
        if not kind.reaches(user):
            problems.append(f"{kind.key} is never sent to you.")
            continue
        if change.get("digest") is not None and change["digest"] not in DIGEST_CHOICES:
            problems.append(f"{kind.key}: digest must be one of {', '.join(DIGEST_CHOICES)}.")
            continue
        problems += check_change(kind, change)
        checked.append((kind, change))
    if problems:
        raise ValidationError({"preferences": problems})
    rows = {row.kind: row for row in NotificationPreference.objects.filter(user=user)}
    changed, now = {}, timezone.now()
    for kind, change in checked:
        if kind.mandatory and not kind.digestible:
            continue  # nothing to store: it is always on, at once
        current = preference_choice(kind, changed.get(kind.key) or rows.get(kind.key))
        changed[kind.key] = NotificationPreference(
            user=user,
            kind=kind.key,
            email=current.email if change.get("email") is None else change["email"],
            in_app=current.in_app if change.get("in_app") is None else change["in_app"],
            digest=current.digest if change.get("digest") is None else change["digest"],
            updated_at=now,
        )
    # One upsert: a concurrent PUT of the same kind cannot make a duplicate row (or a 500).
    NotificationPreference.objects.bulk_create(
        changed.values(),
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["email", "in_app", "digest", "updated_at"],
    )
    return _preference_items({**rows, **changed}, user)
