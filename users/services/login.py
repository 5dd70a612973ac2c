"""Logging in: the credentials check and the lockout rule, in one atomic step.

The API's POST /login/, the admin's login form and the session backend all call
`user_login`; sessions (tokens) start afterwards, in `sessions.session_start`.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from audit.services import audit_record

from ..models import User
from .errors import AccountLocked, EmailNotVerified, InvalidCredentials
from .sessions import end_all_sessions


def user_login(*, email: str, password: str) -> User:
    """Check credentials and apply the lockout rule; return the user or raise.

    The check and the count are one atomic step: an attempt is *reserved* by one
    conditional UPDATE (`failed_login_attempts + 1 WHERE NOT is_locked AND
    failed_login_attempts < MAX_LOGIN_ATTEMPTS`) before the password is checked,
    so however many wrong passwords arrive at once, at most MAX_LOGIN_ATTEMPTS of
    them are ever checked. A right password gives the attempt back (count reset).
    With LOCKOUT_COOLOFF_MINUTES set, a lock older than that is lifted by the
    next attempt. An unknown email and a locked account still hash the password,
    so response time tells neither which emails are registered nor which are locked.
    """
    user = User.objects.by_email(email).filter(closed_at__isnull=True).first()
    if user is None:
        User().set_password(password)
        raise InvalidCredentials()
    if not _reserve_attempt(user):
        User().set_password(password)
        raise AccountLocked()
    if not user.check_password(password):
        _lock_if_spent(user)
        raise InvalidCredentials()
    now = timezone.now()
    if not user.email_verified:
        User.objects.filter(pk=user.pk).update(failed_login_attempts=0)
        raise EmailNotVerified()
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0, last_login_at=now)
    user.failed_login_attempts, user.last_login_at, user.is_locked = 0, now, False
    return user


def _max_attempts() -> int:
    return max(settings.MAX_LOGIN_ATTEMPTS, 1)


def _reserve_attempt(user: User) -> bool:
    """One conditional UPDATE: count this attempt if the budget allows; False when locked."""
    budget = Q(is_locked=False, failed_login_attempts__lt=_max_attempts())
    cooloff = settings.LOCKOUT_COOLOFF_MINUTES
    if not cooloff:
        return bool(
            User.objects.filter(budget, pk=user.pk).update(failed_login_attempts=F("failed_login_attempts") + 1)
        )
    expired = Q(is_locked=True, locked_at__lte=timezone.now() - timedelta(minutes=cooloff))
    return bool(
        User.objects.filter(budget | expired, pk=user.pk).update(
            failed_login_attempts=Case(When(is_locked=True, then=Value(1)), default=F("failed_login_attempts") + 1),
            is_locked=False,
            locked_at=None,
        )
    )


@transaction.atomic
def _lock_if_spent(user: User) -> None:
    """After a wrong password: lock once the budget is spent (and end the sessions)."""
    now = timezone.now()
    locked = User.objects.filter(pk=user.pk, is_locked=False, failed_login_attempts__gte=_max_attempts()).update(
        is_locked=True, locked_at=now, updated_at=now
    )
    if locked:
        end_all_sessions(user, reason="locked")
        audit_record(
            actor=None,
            action="user.locked_by_failed_logins",
            target=user,
            changes={"is_locked": [False, True]},
            note=f"{_max_attempts()} failed logins",
        )
