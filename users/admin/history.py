"""What an account's History (Django's admin log) says a change did."""

from django.utils.text import Truncator

from ..models import User


def _value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in (None, ""):
        return "(empty)"
    return Truncator(str(value)).chars(60)


def describe_changes(before: dict, after) -> str:
    """`Role: AUTHENTICATED → MANAGER; Locked: no → yes`: one part per field that changed."""
    parts = []
    for name, old in before.items():
        new = getattr(after, name)
        if old != new:
            label = str(User._meta.get_field(name).verbose_name)
            parts.append(f"{label[:1].upper()}{label[1:]}: {_value(old)} → {_value(new)}")
    return "; ".join(parts)
