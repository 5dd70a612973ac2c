"""Sign-ins from new devices: recorded (mfa.devices), audited and told to the owner."""

from django.db import transaction

from audit.services import audit_record
from mfa import devices
from notifications.services import notify

from ..models import User
from ..notices import NEW_DEVICE


@transaction.atomic
def user_signed_in_from(*, user: User, kind: str, identity: str, label: str, ip: str | None, how: str) -> bool:
    """Record that `user` signed in (`how`: "the admin", "the API") from the device
    `identity` names; when it is a new one, audit it and send the mandatory notice (email
    and in-app). True when the device was new. A user's first recorded device is
    remembered without a notice: there is nothing to compare it with."""
    seen = devices.device_seen(user=user, kind=kind, identity=identity, label=label)
    if seen != devices.NEW:
        return False
    audit_record(actor=user, action="user.new_device_sign_in", target=user, note=f"{label} via {how}")
    notify(recipient=user, kind=NEW_DEVICE, context={"device": label, "ip": ip or "unknown", "how": how})
    return True
