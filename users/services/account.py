"""A member's own account: profile, email change, password, reset, closing.

Staff managing others: `staff`; sessions and tokens: `sessions`.
"""

import uuid

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from audit.services import audit_record, changes_between
from notifications.services import notify

from ..models import EMAIL_EXISTS, OPTIONAL_PROFILE_FIELDS, SETTING_FIELDS, Role, User
from ..notices import ACCOUNT_CLOSED, EMAIL_CHANGE_VERIFY, EMAIL_CHANGED_NOTICE, PASSWORD_CHANGED, PASSWORD_RESET
from ..signals import account_closed
from ..validators import normalize_email
from .errors import InvalidResetLink
from .sessions import end_all_sessions
from .validation import _save, _set_password, _validate

# What a member may change about themselves (`email` goes through a confirmation link).
SELF_EDITABLE = ("nickname", *OPTIONAL_PROFILE_FIELDS, *SETTING_FIELDS)


@transaction.atomic
def account_update(*, user: User, data: dict) -> User:
    """A member edits their own profile. A new `email` is stored as pending and
    confirmed by a link sent to it (the old address gets a notice); it only
    replaces the address once the link is used."""
    unknown = set(data) - {*SELF_EDITABLE, "email"}
    if unknown:
        raise TypeError(f"Unknown account fields: {sorted(unknown)}")
    if not data:
        raise ValidationError({"non_field_errors": ["No fields to update."]})
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {name: getattr(user, name) for name in data if name != "email"}
    for name in before:
        setattr(user, name, data[name])
    new_email = _requested_email(user, data.get("email"))
    _validate(user)
    fields = [*before]
    if new_email is not None:
        user.pending_email = new_email
        fields.append("pending_email")
    changes = changes_between(before, user)
    if changes or new_email is not None:
        _save(user, update_fields=[*fields, "updated_at"])
    if changes:
        audit_record(actor=user, action="user.profile_updated", target=user, changes=changes)
    if new_email is not None:
        audit_record(
            actor=user, action="user.email_change_requested", target=user, changes={"pending_email": [None, new_email]}
        )
        notify(recipient=user, kind=EMAIL_CHANGE_VERIFY, to_address=new_email)
        notify(recipient=user, kind=EMAIL_CHANGED_NOTICE, context={"new_email": new_email})
    return user


def _requested_email(user: User, raw: str | None) -> str | None:
    """The normalised new address, or None when none (or the current one) was sent."""
    if raw is None:
        return None
    try:
        email = normalize_email(raw)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from None
    if email.lower() == user.email.lower():
        return None
    probe = User(email=email)
    try:
        probe.clean_fields(exclude=[f.name for f in User._meta.fields if f.name != "email"])
    except ValidationError as exc:
        raise ValidationError({"email": exc.message_dict.get("email", exc.messages)}) from None
    if User.objects.by_email(email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": [EMAIL_EXISTS]})
    return email


# --- Passwords ------------------------------------------------------------------


@transaction.atomic
def account_change_password(*, user: User, old_password: str, new_password: str) -> User:
    """Old and new password; ends every session (log in again)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is not correct."]})
    _set_password(user, new_password, field="new_password")
    user.save(update_fields=["password", "updated_at"])
    end_all_sessions(user, reason="password_changed")
    audit_record(actor=user, action="user.password_changed", target=user)
    notify(recipient=user, kind=PASSWORD_CHANGED)
    return user


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Send a reset link if an open account has this address; say nothing either way."""
    user = User.objects.by_email(email).filter(closed_at__isnull=True).first()
    if user is not None and user.has_usable_password():
        notify(recipient=user, kind=PASSWORD_RESET)


def reset_link_user(uid: str, token: str) -> User | None:
    """The account a reset link (`uid`, `token`) is for, or None when invalid, used or expired."""
    try:
        pk = uuid.UUID(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, closed_at__isnull=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set the new password from a reset link: single use (the token hashes the
    password), unlocks the account, forgets failed logins, ends every session."""
    user = reset_link_user(uid, token)
    if user is None:
        raise InvalidResetLink()
    user = User.objects.select_for_update().get(pk=user.pk)
    _set_password(user, new_password, field="new_password")
    return _finish_reset(user)


def _finish_reset(user: User) -> User:
    """After a reset set `user`'s new (unsaved) password."""
    was_locked = user.is_locked
    user.is_locked, user.locked_at, user.failed_login_attempts = False, None, 0
    user.save(update_fields=["password", "is_locked", "locked_at", "failed_login_attempts", "updated_at"])
    end_all_sessions(user, reason="password_reset")
    changes = {"is_locked": [True, False]} if was_locked else {}
    audit_record(actor=user, action="user.password_reset", target=user, changes=changes)
    notify(recipient=user, kind=PASSWORD_CHANGED)  # a reset the owner did not ask for is news to them
    return user


@transaction.atomic
def password_reset_finish(*, user: User) -> User:
    """For Django's reset views (the admin's "Forgot your password?"): `user` carries
    the new password, already validated by the form."""
    password = user.password
    user = User.objects.select_for_update().get(pk=user.pk)
    user.password = password
    return _finish_reset(user)


# --- Closing ----------------------------------------------------------------------


def _is_last_admin(user: User) -> bool:
    return (
        user.is_admin and not User.objects.filter(role=Role.ADMIN, closed_at__isnull=True).exclude(pk=user.pk).exists()
    )


@transaction.atomic
def account_close(*, user: User, password: str) -> None:
    """Close one's own account: the row stays (events and the audit trail point at
    it) but is anonymised — no email, names, links or usable password — and locked.
    The last ADMIN cannot close their account."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(password):
        raise ValidationError({"password": ["The password is not correct."]})
    if _is_last_admin(user):
        raise ValidationError({"non_field_errors": ["You are the last admin: make someone else admin first."]})
    old_email = user.email
    notify(recipient=user, kind=ACCOUNT_CLOSED, to_address=old_email)
    anonymous = uuid.uuid4().hex
    user.email = f"closed-{anonymous}@closed.invalid"
    user.nickname = f"closed_{anonymous[:20]}"
    for name in OPTIONAL_PROFILE_FIELDS:
        setattr(user, name, "")
    user.pending_email, user.show_in_directory = "", False
    user.set_unusable_password()
    user.role, user.email_verified, user.is_professional = Role.ANONYMOUS, False, False
    user.is_locked, user.closed_at = True, timezone.now()
    user.save()
    end_all_sessions(user, reason="closed")
    audit_record(actor=user, action="user.account_closed", target=user, changes={"email": [old_email, None]})
    account_closed.send(sender=User, user=user)
