"""Second factors: enrol and remove an authenticator app (TOTP), recovery codes, check a
code at sign-in, reset by staff.

Every change needs the password and a code (the new app's first code when it is the
first factor; otherwise a current code or a recovery code), writes an audit row and
sends the owner the mandatory `mfa.factors_changed` notice, in one transaction.
Counting wrong codes toward the lockout is the caller's part (users.services.login):
`verify_code` only says whether a code is right, and spends it.
"""

from django.db import transaction
from django_otp import device_classes, devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record
from notifications.services import notify

from .codes import code_hash, new_codes
from .errors import AlreadyEnrolled, InvalidCode, InvalidCurrentCode, InvalidNewCode, NotEnrolled, WrongPassword
from .models import RecoveryCode, RecoveryCodeDevice
from .notices import CHANGES, FACTORS_CHANGED

TOTP_NAME = "Authenticator app"


def user_factors(user) -> list:
    """The confirmed factors of `user` (authenticator app, passkeys, …); recovery codes
    are a way back in, not a factor of their own."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [d for d in devices_for_user(user, confirmed=True) if not isinstance(d, RecoveryCodeDevice)]


def user_has_factor(user) -> bool:
    """One query, however many kinds of device are installed (a UNION of their confirmed
    rows): the admin asks on every page."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    rows = [
        model.objects.filter(user=user, confirmed=True).values_list("user_id")
        for model in device_classes()
        if not issubclass(model, RecoveryCodeDevice)
    ]
    if not rows:
        return False
    combined = rows[0].union(*rows[1:], all=True) if len(rows) > 1 else rows[0]
    return bool(combined[:1])


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def totp_pending(*, user) -> TOTPDevice:
    """The authenticator app being set up: a fresh key, kept (unconfirmed) until its
    first code confirms it, so reloading the page shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def verify_code(*, user, code: str):
    """The device that accepts `code` (and spends it), or None.

    A 6-digit code is tried on the authenticator app: ±1 time step of drift, and a code
    (or an earlier one) already used is refused, under the device's row lock, so two
    requests with one code cannot both pass. Anything else is tried as a recovery code,
    spent by one DELETE that only one request can win."""
    code = "".join((code or "").split())
    if not code:
        return None
    with transaction.atomic():
        if code.isdigit():
            for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
                if device.verify_token(code):
                    return device
            return None
        device = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
        return device if device is not None and device.verify_token(code) else None


def _check_password(user, password: str) -> None:
    if not password or not user.check_password(password):
        raise WrongPassword()


def _require_code(user, code: str, error: type[InvalidCode] = InvalidCode):
    device = verify_code(user=user, code=code)
    if device is None:
        raise error()
    return device


def _record(*, actor, user, change: str, note: str = "") -> None:
    audit_record(actor=actor, action=f"mfa.{change}", target=user, note=note)
    notify(recipient=user, kind=FACTORS_CHANGED, context={"change": CHANGES[change]}, actor=actor)


def _new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes by ten new ones; return them (shown once)."""
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    RecoveryCode.objects.filter(device=device).delete()
    codes = new_codes()
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, code_hash=code_hash(user.pk, c)) for c in codes)
    return codes


@transaction.atomic
def totp_confirm(*, user, password: str, code: str, current_code: str = "") -> tuple[TOTPDevice, list[str]]:
    """Confirm the app being set up with its first code; return it and, when the user had
    none, ten recovery codes to show once. A user who already has a factor (a passkey)
    proves it with `current_code` too."""
    _check_password(user, password)
    if totp_device(user) is not None:
        raise AlreadyEnrolled()
    if user_has_factor(user):
        _require_code(user, current_code, InvalidCurrentCode)
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None or not device.verify_token("".join((code or "").split())):
        raise InvalidNewCode()
    device.confirmed, device.name = True, TOTP_NAME
    device.save(update_fields=["confirmed", "name"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = [] if RecoveryCode.objects.filter(device__user=user).exists() else _new_recovery_codes(user)
    _record(actor=user, user=user, change="totp_added")
    return device, codes


@transaction.atomic
def totp_remove(*, user, password: str, code: str) -> None:
    """Remove the authenticator app; with no factor left, the recovery codes go too."""
    _check_password(user, password)
    if totp_device(user) is None:
        raise NotEnrolled()
    _require_code(user, code)
    TOTPDevice.objects.filter(user=user).delete()
    if not user_has_factor(user):
        RecoveryCodeDevice.objects.filter(user=user).delete()
    _record(actor=user, user=user, change="totp_removed")


@transaction.atomic
def recovery_codes_regenerate(*, user, password: str, code: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working); return them, shown once."""
    _check_password(user, password)
    if not user_has_factor(user):
        raise NotEnrolled("Set up an authenticator app first: recovery codes come with it.")
    _require_code(user, code)
    codes = _new_recovery_codes(user)
    _record(actor=user, user=user, change="recovery_codes_regenerated")
    return codes


@transaction.atomic
def factors_delete(*, actor, user) -> int:
    """Delete every second factor and recovery code of `user` (staff's reset; ending the
    sessions is the caller's part). Returns how many devices there were."""
    deleted = sum(model.objects.filter(user=user).delete()[1].get(model._meta.label, 0) for model in device_classes())
    _record(actor=actor, user=user, change="factors_reset", note=f"{deleted} device(s) removed")
    return deleted
