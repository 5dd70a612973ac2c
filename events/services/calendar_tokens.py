"""Secret calendar-feed URLs: made, revoked, and resolved to their owner."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from users.models import User

from ..models import CalendarFeedToken, hash_feed_token


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
