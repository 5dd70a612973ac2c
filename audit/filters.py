"""Filters of GET /audit, and a date-time filter the user list shares."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from .models import AuditEvent


class _UTCIsoDateTimeField(IsoDateTimeField):
    """ISO 8601, handed to the database in UTC: an offset PostgreSQL cannot store
    (beyond ±15:59) or a moment outside years 1-9999 is a 400, never a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("Enter a date and time between the years 1 and 9999.", code="invalid") from None


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UTCIsoDateTimeField


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(help_text='Exact action, e.g. "user.role_changed".')
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", help_text='e.g. "user." or "event.".'
    )
    actor = django_filters.UUIDFilter(field_name="actor_id", help_text="Id of the user who acted.")
    target_user = django_filters.UUIDFilter(field_name="target_user_id", help_text="Id of the user acted upon.")
    target_id = django_filters.CharFilter(help_text="Id of the object acted upon (any kind).")
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = []
