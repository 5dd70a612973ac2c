"""Filters of GET /audit."""

import django_filters

from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(help_text='Exact action, e.g. "user.role_changed".')
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", help_text='e.g. "user." or "event.".'
    )
    actor = django_filters.UUIDFilter(field_name="actor_id", help_text="Id of the user who acted.")
    target_user = django_filters.UUIDFilter(field_name="target_user_id", help_text="Id of the user acted upon.")
    target_id = django_filters.CharFilter(help_text="Id of the object acted upon (any kind).")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = []
