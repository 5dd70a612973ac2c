"""Second factors beside django-otp's TOTPDevice: a user's recovery codes.

A `RecoveryCodeDevice` is a django-otp `Device`, so a session that signed in with a
recovery code is "verified" exactly as one that used the authenticator app (django-otp's
session key, read by `OTPMiddleware`). Its codes are `RecoveryCode` rows holding only a
hash; using one deletes its row, and of two requests with the same code only the one
whose DELETE removed the row wins.
"""

from django.conf import settings
from django.db import models
from django_otp.models import Device

from .codes import code_hash


class RecoveryCodeDevice(Device):
    """The set of single-use recovery codes of one user (one set per user)."""

    class Meta(Device.Meta):
        verbose_name = "recovery code set"
        constraints = [models.UniqueConstraint(fields=["user"], name="mfa_one_recovery_set_per_user")]

    def verify_token(self, token) -> bool:
        if not isinstance(token, str) or not token.strip():
            return False
        return bool(RecoveryCode.objects.filter(device=self, code_hash=code_hash(self.user_id, token)).delete()[0])

    @property
    def remaining(self) -> int:
        return self.codes.count()


class RecoveryCode(models.Model):
    """One unused recovery code: SHA-256 of the user id and the normalised code."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "code_hash"], name="mfa_recovery_code_unique")]

    def __str__(self):
        return f"recovery code {self.pk}"


class KnownDevice(models.Model):
    """A browser or API client a user has signed in from (`mfa.devices`): only a hash of
    what identifies it is kept, and a label for people ("Firefox on Linux")."""

    class Kind(models.TextChoices):
        BROWSER = "browser", "Browser (device cookie)"
        API = "api", "API client (user agent and network)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    fingerprint = models.CharField(max_length=64)
    label = models.CharField(max_length=120, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "fingerprint"], name="mfa_known_device_unique")]

    def __str__(self):
        return f"{self.label or self.kind} ({self.user_id})"
