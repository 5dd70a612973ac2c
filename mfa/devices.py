"""Known devices: the browsers and API clients each user has signed in from.

What identifies a device is decided above (users.devices: a signed device cookie for
browsers, the user agent's family and the client's network for the API); here it is
only a hash. `device_seen` records a sign-in and says whether the device is new.
"""

import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import KnownDevice

NEW, KNOWN, FIRST = "new", "known", "first"


def fingerprint(kind: str, identity: str) -> str:
    return hashlib.sha256(f"{kind}:{identity}".encode()).hexdigest()


def device_seen(*, user, kind: str, identity: str, label: str) -> str:
    """Record a sign-in of `user` from the device `identity` names. KNOWN when it was seen
    before (its last sign-in is updated), NEW when it was not, FIRST when the user had no
    known device at all (their first sign-in since devices are recorded: nothing to
    compare with). Concurrent first sign-ins from one device record it once."""
    key = fingerprint(kind, identity)
    if KnownDevice.objects.filter(user=user, fingerprint=key).update(last_seen_at=timezone.now(), label=label[:120]):
        return KNOWN
    first = not KnownDevice.objects.filter(user=user).exists()
    try:
        with transaction.atomic():
            KnownDevice.objects.create(user=user, kind=kind, fingerprint=key, label=label[:120])
    except IntegrityError:  # the same device, recorded meanwhile by a concurrent sign-in
        return KNOWN
    return FIRST if first else NEW
