"""Logging in: the credentials check, the second factor and the lockout rule, in one
atomic step.

The API's POST /login/ and the session backend call `user_login` (password and, for a
user with a second factor, its code in the same request); the admin's two steps call
`user_login_first_step` (the password) then `user_login_second_step` (the code).
Sessions (tokens) start afterwards, in `sessions.session_start`.

A wrong code is a wrong password: it spends one of MAX_LOGIN_ATTEMPTS in the same
conditional UPDATE and may lock the account. A right password alone does not give the
budget back to a user with a second factor (only a right code does), so taking turns
between the password step and guesses of the code buys no extra guesses.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record
from core import metrics
from mfa import services as mfa
from notifications.services import notify

from ..models import User
from ..notices import ACCOUNT_LOCKED
from .errors import AccountLocked, EmailNotVerified, InvalidCredentials, SecondFactorInvalid, SecondFactorRequired
from .sessions import end_all_sessions

LOGINS = metrics.counter("event_manager_logins_total", "Logins by outcome.", ["outcome"])

# The outcomes of one attempt, and the metric's label for each.
OK, FAILED, UNVERIFIED, LOCKING, LOCKED = "ok", "failed", "unverified", "locking", "locked"
# A right password, the code still to come (PENDING: the admin's first step; CODE_REQUIRED:
# the API without `otp`), and a wrong code.
PENDING, CODE_REQUIRED, CODE_INVALID = "pending", "otp_required", "otp_invalid"
CODE_LOCKING = "otp_locking"  # the wrong code that spent the budget
OUTCOME_LABEL = {
    OK: "ok",
    FAILED: "failed",
    UNVERIFIED: "failed",
    LOCKING: "locked",
    LOCKED: "locked",
    PENDING: "otp_required",
    CODE_REQUIRED: "otp_required",
    CODE_INVALID: "failed",
    CODE_LOCKING: "locked",
}
# The `amr` claim (RFC 8176) of a session made with a password, and with a password and a code.
AMR_PASSWORD, AMR_PASSWORD_AND_CODE = ["pwd"], ["pwd", "otp"]


def user_login(*, email: str, password: str, otp: str | None = None) -> User:
    """Check credentials (and the second factor, if the user has one) and apply the lockout
    rule; return the user, its `amr` set, or raise.

    A user with a second factor needs `otp` (a code from the authenticator app or a
    recovery code): without it SecondFactorRequired, wrong SecondFactorInvalid, both
    401s; never a session.

    An attempt is counted by one conditional UPDATE (`failed_login_attempts + 1
    WHERE NOT is_locked AND failed_login_attempts < MAX_LOGIN_ATTEMPTS`) before the
    password is checked, and its outcome is written in the same transaction: the
    row stays locked meanwhile, so attempts on one account are checked one after
    the other. However many wrong passwords arrive at once, at most
    MAX_LOGIN_ATTEMPTS are checked; however many right ones, each is checked and
    succeeds; only a locked account is told it is. A right password resets the
    count. A lock from failed logins lifts with the next attempt once
    LOCKOUT_COOLOFF_MINUTES have passed (0: never by itself). An unknown email and
    a locked account still hash the password, so response time tells neither which
    emails are registered nor which are locked.
    """
    user, outcome = _login(email, password, otp=otp or "", defer_code=False)
    if outcome == OK:
        return user
    if outcome == CODE_REQUIRED:
        raise SecondFactorRequired()
    if outcome in (CODE_INVALID, CODE_LOCKING):
        raise SecondFactorInvalid()
    _refuse(outcome)


def user_login_first_step(*, email: str, password: str) -> tuple[User, bool]:
    """The admin's first step: the password. Returns the user and whether a code must
    follow (`user_login_second_step`); raises as `user_login` does for a wrong password,
    a locked account or an unverified address. For a user with a second factor the
    attempt stays counted until the code is right."""
    user, outcome = _login(email, password, otp="", defer_code=True)
    if outcome in (OK, PENDING):
        return user, outcome == PENDING
    _refuse(outcome)


def user_login_second_step(*, user: User, code: str):
    """The admin's second step: a code for `user`, who gave the right password. Counted as
    a login attempt: a wrong code may lock the account (AccountLocked when it already
    is). Returns the django-otp device that accepted the code; raises SecondFactorInvalid."""
    outcome, device = _second_attempt(user, code)
    LOGINS.labels(outcome=OUTCOME_LABEL[outcome]).inc()
    if outcome == OK:
        return device
    if outcome == LOCKED:
        raise AccountLocked()
    raise SecondFactorInvalid()


@transaction.atomic
def user_login_completed(*, user: User) -> None:
    """A second step passed by another method than a code (a passkey checked by its own
    views): the attempt the password step left counted is given back, as a right code would."""
    _succeed(user)


def _login(email: str, password: str, *, otp: str, defer_code: bool) -> tuple[User | None, str]:
    user = User.objects.by_email(email).filter(closed_at__isnull=True).first()
    outcome = _attempt(user, password, otp, defer_code) if user is not None else FAILED
    LOGINS.labels(outcome=OUTCOME_LABEL[outcome]).inc()
    if user is None or outcome == LOCKED:
        User().set_password(password)  # the time a password check would have taken
    return user, outcome


def _refuse(outcome: str):
    if outcome == UNVERIFIED:
        raise EmailNotVerified()
    if outcome == LOCKED:
        raise AccountLocked()
    raise InvalidCredentials()  # a wrong password, the one that locks included


def _max_attempts() -> int:
    return max(settings.MAX_LOGIN_ATTEMPTS, 1)


@transaction.atomic
def _attempt(user: User, password: str, otp: str, defer_code: bool) -> str:
    """One attempt, counted and resolved in one transaction: LOCKED is refused unchecked,
    LOCKING is the wrong password (or code) that spent the budget."""
    if not _reserve_attempt(user):
        return LOCKED
    user.refresh_from_db(fields=["password", "email_verified"])  # as it is now that the row is ours
    if not user.check_password(password):
        return LOCKING if _lock_if_spent(user) else FAILED
    if not user.email_verified:
        User.objects.filter(pk=user.pk).update(failed_login_attempts=0)
        return UNVERIFIED
    user.amr = AMR_PASSWORD
    if mfa.user_has_factor(user):
        if defer_code:
            return PENDING
        if not otp:
            return CODE_REQUIRED
        if mfa.verify_code(user=user, code=otp) is None:
            return CODE_LOCKING if _lock_if_spent(user) else CODE_INVALID
        user.amr = AMR_PASSWORD_AND_CODE
    _succeed(user)
    return OK


@transaction.atomic
def _second_attempt(user: User, code: str) -> tuple[str, object]:
    if not _reserve_attempt(user):
        return LOCKED, None
    device = mfa.verify_code(user=user, code=code)
    if device is None:
        return (CODE_LOCKING if _lock_if_spent(user) else CODE_INVALID), None
    user.amr = AMR_PASSWORD_AND_CODE
    _succeed(user)
    return OK, device


def _succeed(user: User) -> None:
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0, last_login_at=now)
    user.failed_login_attempts, user.last_login_at, user.is_locked, user.locked_at = 0, now, False, None


def _reserve_attempt(user: User) -> bool:
    """Count this attempt if the budget allows; False when the account is locked.

    The UPDATE takes the row's lock until the transaction ends, so another attempt
    on this account waits here until this one's outcome is written."""
    if _take_attempt(user):
        return True
    if _lift_expired_lock(user):
        return _take_attempt(user)
    _lock_if_spent(user)  # a budget spent without a lock (MAX_LOGIN_ATTEMPTS lowered since): lock it now
    return False


def _take_attempt(user: User) -> bool:
    budget = User.objects.filter(pk=user.pk, is_locked=False, failed_login_attempts__lt=_max_attempts())
    return bool(budget.update(failed_login_attempts=F("failed_login_attempts") + 1))


def _lift_expired_lock(user: User) -> bool:
    """With LOCKOUT_COOLOFF_MINUTES set, lift a lock from failed logins that is that old
    (a lock by staff has no failed attempts: it waits for staff or a reset)."""
    cooloff = settings.LOCKOUT_COOLOFF_MINUTES
    if cooloff <= 0:
        return False
    now = timezone.now()
    lifted = User.objects.filter(
        pk=user.pk, is_locked=True, failed_login_attempts__gt=0, locked_at__lte=now - timedelta(minutes=cooloff)
    ).update(is_locked=False, locked_at=None, failed_login_attempts=0, updated_at=now)
    if lifted:
        audit_record(
            actor=None,
            action="user.unlocked_after_cooloff",
            target=user,
            changes={"is_locked": [True, False]},
            note=f"LOCKOUT_COOLOFF_MINUTES={cooloff}",
        )
    return bool(lifted)


def _lock_if_spent(user: User) -> bool:
    """After a wrong password: lock once the budget is spent, end the sessions and tell
    the owner how to get back in. True when this call locked the account."""
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
        notify(
            recipient=user,
            kind=ACCOUNT_LOCKED,
            context={"attempts": _max_attempts(), "cooloff_minutes": max(settings.LOCKOUT_COOLOFF_MINUTES, 0)},
        )
    return bool(locked)
