"""Joining: self-service sign-up, the verification link, a new link on request.

`user_add` saves a user built and validated elsewhere (sign-up here, staff in
`staff.user_create`, the admin's add form) and queues the verification email.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record
from notifications.services import notify

from ..models import EMAIL_EXISTS, PROFILE_FIELDS, Role, User
from ..notices import VERIFY_EMAIL
from ..tokens import email_change_token, email_verification_token
from .errors import InvalidVerificationToken
from .sessions import end_all_sessions
from .validation import _save, _validate


@transaction.atomic
def user_add(*, user: User) -> User:
    """Save a new, already validated user; queue the verification email if needed."""
    _save(user, force_insert=True)
    if not user.email_verified:
        notify(recipient=user, kind=VERIFY_EMAIL)
    return user


def _user_build(*, password: str, role: str, profile: dict) -> User:
    unknown = set(profile) - {*PROFILE_FIELDS, "time_zone"}
    if unknown:
        raise TypeError(f"Unknown user fields: {sorted(unknown)}")
    user = User(role=role, **profile)
    generated = not user.nickname
    if generated:
        user.nickname = User.objects.unique_nickname()
    _validate(user, password=password, nickname_checked=generated)
    user.set_password(password)
    return user


def user_register(*, password: str, **profile) -> User:
    """Self-service sign-up: an ANONYMOUS user who must verify the email."""
    return user_add(user=_user_build(password=password, role=Role.ANONYMOUS, profile=profile))


# --- Email verification -------------------------------------------------------


def _mark_verified(user: User) -> None:
    user.email_verified = True
    if user.role == Role.ANONYMOUS:
        user.role = Role.AUTHENTICATED
    user.save(update_fields=["email_verified", "role", "updated_at"])


@transaction.atomic
def user_verify_email(*, user_id, token: str) -> User:
    """Consume a link from a verification email: the registration link (ANONYMOUS
    becomes AUTHENTICATED) or the link confirming a new address the member asked
    for. Single use: each token hashes what using it changes. Raises
    InvalidVerificationToken with the reason (invalid, expired, used)."""
    user = User.objects.select_for_update().filter(pk=user_id, closed_at__isnull=True).first()
    if user is None:
        raise InvalidVerificationToken()
    if user.pending_email:
        outcome = email_change_token.check(user, token)
        if outcome == "ok":
            return _confirm_email_change(user)
        if outcome == "expired":
            raise InvalidVerificationToken("expired")
    outcome = email_verification_token.check(user, token)
    if outcome == "ok" and not user.email_verified:
        _mark_verified(user)
        audit_record(actor=user, action="user.email_verified", target=user, changes={"email_verified": [False, True]})
        return user
    if outcome == "expired":
        raise InvalidVerificationToken("expired")
    if email_verification_token.was_used(user, token) or email_change_token.was_used(user, token):
        raise InvalidVerificationToken("used")
    raise InvalidVerificationToken()


def _confirm_email_change(user: User) -> User:
    old_email, new_email = user.email, user.pending_email
    if User.objects.by_email(new_email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": [EMAIL_EXISTS]})
    user.email, user.pending_email, user.email_verified = new_email, "", True
    if user.role == Role.ANONYMOUS:
        user.role = Role.AUTHENTICATED
    _save(user, update_fields=["email", "pending_email", "email_verified", "role", "updated_at"])
    end_all_sessions(user, reason="email_changed")
    audit_record(actor=user, action="user.email_changed", target=user, changes={"email": [old_email, new_email]})
    return user


@transaction.atomic
def verification_resend(*, email: str) -> None:
    """Queue a new verification link if this address is registered and not verified; silent either way."""
    user = User.objects.by_email(email).filter(closed_at__isnull=True, email_verified=False).first()
    if user is not None:
        notify(recipient=user, kind=VERIFY_EMAIL)
