"""Passkeys (django-otp-webauthn's `WebAuthnCredential`, a django-otp device) as second
factors: what follows their registration, their names, and their removal. The WebAuthn ceremonies
themselves are the library's views (users.passkeys); the credential is checked there."""

from django.db import transaction
from django_otp_webauthn.models import WebAuthnCredential

from audit.services import audit_record

from . import services
from .errors import FactorError, NotEnrolled
from .models import RecoveryCode


def user_passkeys(user) -> list:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at"))


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def passkey_added(*, user, device) -> list[str]:
    """The ceremony registered `device` for `user`: audit it and tell the owner. Returns
    ten recovery codes to show once when the user had none (the passkey is their first
    factor), else []."""
    codes = [] if RecoveryCode.objects.filter(device__user=user).exists() else services._new_recovery_codes(user)
    services._record(actor=user, user=user, change="passkey_added", note=device.name or "")
    return codes


@transaction.atomic
def passkey_remove(*, user, password: str, code: str, device_id) -> None:
    """Remove one passkey; the password and a current code (another factor's, or a
    recovery code) prove it is the owner. With no factor left the recovery codes go too."""
    services._check_password(user, password)
    device = WebAuthnCredential.objects.filter(user=user, pk=device_id).first()
    if device is None:
        raise NotEnrolled("There is no such passkey to remove.")
    services._require_code(user, code)
    device.delete()
    if not services.user_has_factor(user):
        services.RecoveryCodeDevice.objects.filter(user=user).delete()
    services._record(actor=user, user=user, change="passkey_removed")


NAME_MAX_LENGTH = 64  # django-otp's Device.name


class InvalidName(FactorError):
    message = f"Give the passkey a name of 1 to {NAME_MAX_LENGTH} characters."
    field = "name"


@transaction.atomic
def passkey_rename(*, user, device_id, name: str):
    """Give one of `user`'s passkeys a name of their choosing ("Work laptop"); audited. A
    name is a label, not a secret: no password is asked. Returns the passkey."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX_LENGTH:
        raise InvalidName()
    device = WebAuthnCredential.objects.select_for_update().filter(user=user, pk=device_id, confirmed=True).first()
    if device is None:
        raise NotEnrolled("There is no such passkey.")
    old, device.name = device.name, name
    device.save(update_fields=["name"])
    audit_record(actor=user, action="mfa.passkey_renamed", target=user, note=f"{old or 'Passkey'} -> {name}")
    return device
