"""Account rules: register, verify, log in, lock, change role, manage users.

The API views, the admin and the management commands all call these, so each
rule has exactly one home. Every function is keyword-only; the ones that act
on behalf of someone take the acting user as `actor`.
"""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from notifications.services import notify

from .models import EMAIL_EXISTS, PROFILE_FIELDS, Role, User
from .notices import VERIFY_EMAIL
from .tokens import email_verification_token


class InvalidCredentials(Exception):
    """Unknown email, wrong password or unverified email: the caller cannot tell which."""

    message = "Incorrect email or password."


class EmailNotVerified(InvalidCredentials):
    """The right password for an address not verified yet (the API answers as for a wrong one)."""


class AccountLocked(Exception):
    message = "Account locked due to too many failed login attempts."

    def __init__(self, *, password_ok: bool = False):
        super().__init__(self.message)
        self.password_ok = password_ok


class InvalidVerificationToken(Exception):
    message = "Invalid or expired verification link."


# --- Creating users -----------------------------------------------------------


def _validate(user: User, *, password: str | None = None, nickname_checked: bool = False) -> None:
    """Run the model's rules and, for a new password, the password validators;
    raise one ValidationError naming every offending field.

    Each uniqueness rule costs one query: the email's in `User.clean`, the
    nickname's in `validate_unique` (none for a nickname `unique_nickname` just
    made). The constraints are not queried again (`validate_constraints=False`):
    the role's choices are a field rule, and the database enforces both unique
    constraints on save, where `_save` turns a lost race into the same 400."""
    errors = {}
    try:
        user.full_clean(exclude=["password", *(["nickname"] if nickname_checked else [])], validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)


def _save(user: User, **kwargs) -> None:
    """Save, turning a lost race on a unique column into a validation error."""
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError:
        if User.objects.by_email(user.email).exclude(pk=user.pk).exists():
            raise ValidationError({"email": [EMAIL_EXISTS]}) from None
        if User.objects.filter(nickname=user.nickname).exclude(pk=user.pk).exists():
            raise ValidationError({"nickname": ["Nickname already exists."]}) from None
        raise


@transaction.atomic
def user_add(*, user: User) -> User:
    """Save a new, already validated user; queue the verification email if needed."""
    _save(user, force_insert=True)
    if not user.email_verified:
        notify(recipient=user, kind=VERIFY_EMAIL)
    return user


def _user_build(*, password: str, role: str, profile: dict) -> User:
    unknown = set(profile) - set(PROFILE_FIELDS)
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


def user_create(*, actor: User, password: str, role: str | None = None, **profile) -> User:
    """A user created by an ADMIN or MANAGER; only an ADMIN may choose the role."""
    if role is not None:
        _require_admin(actor, "Only an admin may set a user's role.")
    return user_add(user=_user_build(password=password, role=role or Role.ANONYMOUS, profile=profile))


# --- Managing users -----------------------------------------------------------


def _require_admin(actor: User, message: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(message)


def user_check_can_manage(*, actor: User, user: User) -> None:
    """A MANAGER may manage members and managers, never an ADMIN."""
    if user.is_admin and not actor.is_admin:
        raise PermissionDenied("Managers cannot modify admin accounts.")


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict) -> User:
    """Change only the fields in `data` (profile fields and, for an ADMIN, `role`).

    Only those columns are written, so a lock or failed-login count committed
    meanwhile by another request is never overwritten."""
    user_check_can_manage(actor=actor, user=user)
    if not data:
        raise ValidationError({"non_field_errors": ["No fields to update."]})
    unknown = set(data) - {*PROFILE_FIELDS, "role"}
    if unknown:
        raise TypeError(f"Unknown user fields: {sorted(unknown)}")
    if "role" in data:
        _check_role_change(actor=actor, user=user, role=data["role"])
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(user, field, data[field])
    _validate(user)
    _save(user, update_fields=[*data, "updated_at"])
    return user


def _check_role_change(*, actor: User, user: User, role: str) -> None:
    """Set `user.role` (unsaved) if `actor` may: ADMIN only, and not their own."""
    _require_admin(actor, "Only an admin may change a user's role.")
    if user.pk == actor.pk and role != actor.role:
        raise ValidationError({"role": ["You cannot change your own role."]})
    user.role = Role(role)


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: str) -> bool:
    """Give `user` the role; False (and nothing written) when it already has it."""
    if user.role == role:
        return False
    _check_role_change(actor=actor, user=user, role=role)
    user.save(update_fields=["role", "updated_at"])
    return True


@transaction.atomic
def user_delete(*, actor: User, user: User) -> None:
    user_check_can_manage(actor=actor, user=user)
    if user.pk == actor.pk:
        raise ValidationError({"non_field_errors": ["You cannot delete your own account."]})
    user.delete()


def user_lock(*, user: User) -> bool:
    """Lock the account; False when it was already locked (nothing written)."""
    changed = User.objects.filter(pk=user.pk, is_locked=False).update(is_locked=True, updated_at=timezone.now())
    user.refresh_from_db(fields=["is_locked", "updated_at"])
    return bool(changed)


def user_unlock(*, user: User) -> bool:
    """Unlock and forget the failed attempts; False when it was not locked (nothing written)."""
    changed = User.objects.filter(pk=user.pk, is_locked=True).update(
        is_locked=False, failed_login_attempts=0, updated_at=timezone.now()
    )
    user.refresh_from_db(fields=["is_locked", "failed_login_attempts", "updated_at"])
    return bool(changed)


def user_set_professional(*, user: User, is_professional: bool) -> bool:
    """Grant or revoke professional status; False when it already was so (nothing written)."""
    if user.is_professional == is_professional:
        return False
    user.is_professional = is_professional
    user.professional_status_updated_at = timezone.now()
    user.save(update_fields=["is_professional", "professional_status_updated_at", "updated_at"])
    return True


# --- Email verification -------------------------------------------------------


def _mark_verified(user: User) -> None:
    user.email_verified = True
    if user.role == Role.ANONYMOUS:
        user.role = Role.AUTHENTICATED
    user.save(update_fields=["email_verified", "role", "updated_at"])


@transaction.atomic
def user_verify_email(*, user_id, token: str) -> User:
    """Consume a verification link: ANONYMOUS becomes AUTHENTICATED. Single use,
    because the token hashes `email_verified`."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or user.email_verified or not email_verification_token.check_token(user, token):
        raise InvalidVerificationToken()
    _mark_verified(user)
    return user


@transaction.atomic
def user_mark_email_verified(*, user: User) -> bool:
    """Staff override: treat the address as verified without a link; False when it already was."""
    if user.email_verified:
        return False
    _mark_verified(user)
    return True


@transaction.atomic
def user_resend_verification(*, user: User) -> bool:
    """Queue a new verification email; returns False when the email is already verified."""
    if user.email_verified:
        return False
    notify(recipient=user, kind=VERIFY_EMAIL)
    return True


# --- Logging in ---------------------------------------------------------------


def user_login(*, email: str, password: str) -> User:
    """Check credentials and apply the lockout rule; return the user or raise.

    An unknown email still hashes the password, and so does a locked account, so
    response time tells neither which emails are registered nor which are locked.
    `AccountLocked.password_ok` and `EmailNotVerified` let the admin login explain
    the refusal to whoever knows the password. Failed attempts are counted by one
    atomic UPDATE, so concurrent wrong passwords are all counted.
    """
    user = User.objects.by_email(email).first()
    if user is None:
        User().set_password(password)
        raise InvalidCredentials()
    password_ok = user.check_password(password)
    if user.is_locked:
        raise AccountLocked(password_ok=password_ok)
    if not password_ok:
        _record_failed_login(user)
        raise InvalidCredentials()
    if not user.email_verified:
        raise EmailNotVerified()
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0, last_login_at=now)
    user.failed_login_attempts, user.last_login_at = 0, now
    return user


def _record_failed_login(user: User) -> None:
    lock_at = max(settings.MAX_LOGIN_ATTEMPTS, 1)
    User.objects.filter(pk=user.pk).update(
        failed_login_attempts=F("failed_login_attempts") + 1,
        is_locked=Case(When(failed_login_attempts__gte=lock_at - 1, then=Value(True)), default=F("is_locked")),
    )
