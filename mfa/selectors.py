"""What a user's second factors look like from outside: which there are, when they were
made and last used, how many recovery codes are left. Never a key, a hash or a code."""

from dataclasses import dataclass
from datetime import datetime

from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from .models import RecoveryCode


@dataclass(frozen=True)
class Passkey:
    id: int
    name: str
    created_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class Factors:
    totp: bool
    totp_created_at: datetime | None
    totp_last_used_at: datetime | None
    recovery_codes_left: int
    passkeys: list[Passkey]


def factors_of(user) -> Factors:
    """Three queries, whatever the user has: the app, the count of codes, the passkeys
    (only the columns shown are read)."""
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).values("created_at", "last_used_at").first()
    passkeys = WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")
    return Factors(
        totp=totp is not None,
        totp_created_at=totp and totp["created_at"],
        totp_last_used_at=totp and totp["last_used_at"],
        recovery_codes_left=RecoveryCode.objects.filter(device__user=user).count(),
        passkeys=[Passkey(**row) for row in passkeys.values("id", "name", "created_at", "last_used_at")],
    )
