"""Writing the audit trail: one call from each service that changes state."""

import json

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder

from core.context import client_ip_var, request_id_var

from .models import AuditEvent

REPR_LENGTH = 255


def _json(changes: dict | None) -> dict:
    """UUIDs, dates and enums become strings, as they would in any JSON column."""
    return json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder))


def _repr(obj) -> str:
    return "" if obj is None else str(obj)[:REPR_LENGTH]


def audit_record(*, actor, action: str, target, changes: dict | None = None, note: str = "") -> AuditEvent:
    """Record that `actor` (a user, or None for the system) did `action` to `target`.

    Call it inside the transaction of the change, after the change is written,
    so both commit or neither does. `changes` is `{"field": [before, after]}`.
    The client address and request id come from the current request, if any.
    """
    actor = actor if getattr(actor, "is_authenticated", False) else None
    is_user = isinstance(target, get_user_model())
    return AuditEvent.objects.create(
        actor=actor,
        actor_repr=_repr(actor),
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
        target_repr=_repr(target),
        target_user=target if is_user else None,
        changes=_json(changes),
        note=note,
        client_ip=client_ip_var.get(),
        request_id=request_id_var.get(),
    )


def changes_between(before: dict, after) -> dict:
    """`{"field": [before, after]}` for each field of `before` whose value on `after` differs."""
    return {name: [old, getattr(after, name)] for name, old in before.items() if old != getattr(after, name)}
