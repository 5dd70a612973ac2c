"""Staff managing accounts: create, edit, role, lock, professional status,
verification overrides, delete, a new password. Each takes the acting ADMIN or
MANAGER as `actor` and is audited; a MANAGER never manages an ADMIN.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, changes_between
from notifications.services import notify

from ..models import PROFILE_FIELDS, Role, User
from ..notices import EMAIL_CHANGED_NOTICE, PROFESSIONAL_GRANTED, VERIFY_EMAIL
from ..rules import can_manage
from .registration import _mark_verified, _user_build, user_add
from .sessions import end_all_sessions
from .validation import _save, _validate


def user_create(*, actor: User, password: str, role: str | None = None, **profile) -> User:
    """A user created by an ADMIN or MANAGER; only an ADMIN may choose the role."""
    if role is not None:
        _require_admin(actor, "Only an admin may set a user's role.")
    return user_add(user=_user_build(password=password, role=role or Role.ANONYMOUS, profile=profile))


def _require_admin(actor: User, message: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(message)


def user_check_can_manage(*, actor: User, user: User) -> None:
    """A MANAGER may manage members and managers, never an ADMIN (`rules.can_manage`)."""
    if not can_manage(actor, user):
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
    """`rules.can_delete`: 403 for a MANAGER deleting an ADMIN, 400 for one's own account."""
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
    # No failed attempts on a lock by staff: LOCKOUT_COOLOFF_MINUTES lifts only those from failed logins.
    changed = User.objects.filter(pk=user.pk, is_locked=False).update(
        is_locked=True, locked_at=now, failed_login_attempts=0, updated_at=now
    )
    if changed:
        end_all_sessions(user, reason="locked")
        audit_record(actor=actor, action="user.locked", target=user, changes={"is_locked": [False, True]})
    user.refresh_from_db(fields=["is_locked", "locked_at", "failed_login_attempts", "updated_at"])
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


@transaction.atomic
def account_set_password_by_staff(*, actor: User, user: User, password_hash: str) -> User:
    """The admin's "change password" form (the form validated and hashed the new password):
    ends every session of the user and is audited."""
    user_check_can_manage(actor=actor, user=user)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.password = password_hash
    user.save(update_fields=["password", "updated_at"])
    end_all_sessions(user, reason="password_set_by_staff")
    audit_record(actor=actor, action="user.password_set_by_staff", target=user)
    return user
