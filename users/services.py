"""Account rules: register, verify, log in, lock, change role, manage users.

The API views, the admin and the management commands all call these, so each
rule has exactly one home. Every function is keyword-only; the ones that act
on behalf of someone take the acting user as `actor`.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from audit.services import audit_record, changes_between
from notifications.services import notify

from .models import EMAIL_EXISTS, PROFILE_FIELDS, Role, User
from .notices import EMAIL_CHANGED_NOTICE, PROFESSIONAL_GRANTED, VERIFY_EMAIL
from .sessions import end_all_sessions
from .tokens import email_change_token, email_verification_token


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
    """`reason`: "invalid", "expired" or "used" (the address is already verified)."""

    MESSAGES = {
        "invalid": "Invalid or expired verification link.",
        "expired": "This verification link has expired; request a new one.",
        "used": "Email already verified: this link was already used.",
    }

    def __init__(self, reason: str = "invalid"):
        self.reason = reason
        self.message = self.MESSAGES[reason]
        super().__init__(self.message)


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
    # The stored values: the admin's form has already applied the new ones to `user`.
    before = User.objects.filter(pk=user.pk).values(*data, "email_verified").first() or {}
    if "role" in data:
        _check_role_change(actor=actor, user=user, role=data["role"])
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(user, field, data[field])
    _validate(user)
    fields = [*data]
    old_email = before.get("email", user.email)
    if "email" in data and user.email != old_email:
        fields += _unverify_for_new_address(user)
    _save(user, update_fields=[*dict.fromkeys(fields), "updated_at"])
    if "email" in data and user.email != old_email:
        _after_staff_email_change(actor=actor, user=user, old_email=old_email)
    _audit_update(actor=actor, user=user, changes=changes_between(before, user))
    return user


def _unverify_for_new_address(user: User) -> list[str]:
    """Staff set a new address: nobody has proved it yet (an AUTHENTICATED member
    becomes ANONYMOUS again until the link is used; staff roles are kept)."""
    user.email_verified = False
    user.pending_email = ""
    if user.role == Role.AUTHENTICATED:
        user.role = Role.ANONYMOUS
    return ["email_verified", "pending_email", "role"]


def _after_staff_email_change(*, actor: User, user: User, old_email: str) -> None:
    end_all_sessions(user, reason="email_changed")
    notify(recipient=user, kind=VERIFY_EMAIL)
    notify(recipient=user, kind=EMAIL_CHANGED_NOTICE, to_address=old_email, context={"new_email": user.email})


def _audit_update(*, actor: User, user: User, changes: dict) -> None:
    """One row per kind of change: role, email, the rest of the profile."""
    groups = {
        "user.role_changed": {k: v for k, v in changes.items() if k == "role"},
        "user.email_changed": {k: v for k, v in changes.items() if k in ("email", "email_verified")},
    }
    groups["user.profile_updated"] = {k: v for k, v in changes.items() if k not in ("role", "email", "email_verified")}
    for action, part in groups.items():
        if part:
            audit_record(actor=actor, action=action, target=user, changes=part)


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
    before = user.role
    _check_role_change(actor=actor, user=user, role=role)
    user.save(update_fields=["role", "updated_at"])
    audit_record(actor=actor, action="user.role_changed", target=user, changes={"role": [before, user.role]})
    return True


@transaction.atomic
def user_delete(*, actor: User, user: User) -> None:
    user_check_can_manage(actor=actor, user=user)
    if user.pk == actor.pk:
        raise ValidationError({"non_field_errors": ["You cannot delete your own account."]})
    audit_record(actor=actor, action="user.deleted", target=user, changes={"email": [user.email, None]})
    user.delete()


@transaction.atomic
def user_lock(*, user: User, actor: User | None = None) -> bool:
    """Lock the account and end its sessions (they stay dead after an unlock);
    False when it was already locked (nothing written)."""
    if actor is not None:
        user_check_can_manage(actor=actor, user=user)
    now = timezone.now()
    changed = User.objects.filter(pk=user.pk, is_locked=False).update(is_locked=True, locked_at=now, updated_at=now)
    if changed:
        end_all_sessions(user, reason="locked")
        audit_record(actor=actor, action="user.locked", target=user, changes={"is_locked": [False, True]})
    user.refresh_from_db(fields=["is_locked", "locked_at", "updated_at"])
    return bool(changed)


@transaction.atomic
def user_unlock(*, user: User, actor: User | None = None) -> bool:
    """Unlock and forget the failed attempts; False when it was not locked (nothing written).
    A MANAGER may not unlock an ADMIN."""
    if actor is not None:
        user_check_can_manage(actor=actor, user=user)
    before = User.objects.filter(pk=user.pk).values_list("failed_login_attempts", flat=True).first()
    changed = User.objects.filter(pk=user.pk, is_locked=True).update(
        is_locked=False, locked_at=None, failed_login_attempts=0, updated_at=timezone.now()
    )
    if changed:
        changes = {"is_locked": [True, False], "failed_login_attempts": [before, 0]}
        audit_record(actor=actor, action="user.unlocked", target=user, changes=changes)
    user.refresh_from_db(fields=["is_locked", "locked_at", "failed_login_attempts", "updated_at"])
    return bool(changed)


@transaction.atomic
def user_set_professional(*, user: User, is_professional: bool, actor: User | None = None, note: str = "") -> bool:
    """Grant or revoke professional status; False when it already was so (nothing written).
    A member who is upgraded gets an email (and an in-app notice)."""
    if actor is not None:
        user_check_can_manage(actor=actor, user=user)
    if user.is_professional == is_professional:
        return False
    user.is_professional = is_professional
    user.professional_status_updated_at = timezone.now()
    user.save(update_fields=["is_professional", "professional_status_updated_at", "updated_at"])
    action = "user.professional_granted" if is_professional else "user.professional_revoked"
    changes = {"is_professional": [not is_professional, is_professional]}
    audit_record(actor=actor, action=action, target=user, changes=changes, note=note)
    if is_professional:
        notify(recipient=user, kind=PROFESSIONAL_GRANTED, context={"note": note}, actor=actor)
    return True


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
def user_mark_email_verified(*, user: User, actor: User | None = None) -> bool:
    """Staff override: treat the address as verified without a link; False when it already was."""
    if user.email_verified:
        return False
    if actor is not None:
        user_check_can_manage(actor=actor, user=user)
    _mark_verified(user)
    audit_record(
        actor=actor, action="user.email_verified_by_staff", target=user, changes={"email_verified": [False, True]}
    )
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
