"""Filters and orderings of GET /users/ (django-filter).

Each one is backed by an index on PostgreSQL (see User.Meta.indexes and
migration 0006 for the trigram indexes behind `q`), so it stays fast with a
million users. Bad values are a 400 naming the parameter, never ignored.
"""

import django_filters
from django import forms
from django.db.models import Q

from audit.filters import UTCIsoDateTimeFilter

from .models import Role, User

ORDERINGS = ("created_at", "email", "nickname", "last_login_at")
Q_MIN_LENGTH = 3


class _BooleanChoiceField(forms.TypedChoiceField):
    def to_python(self, value):
        return super().to_python(value.lower() if isinstance(value, str) else value)


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true` or `false` (any case, or 1/0); anything else is a 400, not ignored."""

    field_class = _BooleanChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1"))
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(django_filters.OrderingFilter):
    """One of ORDERINGS, `-` for descending; the id breaks ties so pages never overlap."""

    def filter(self, qs, value):
        value = [param for param in value or () if param]  # `ordering=,` names nothing, as `ordering=`
        if not value:
            return qs
        fields = [self.get_ordering_value(param) for param in value]
        descending = fields[-1].startswith("-")
        return qs.order_by(*fields, "-id" if descending else "id")


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        min_length=Q_MIN_LENGTH,
        max_length=100,
        label=f"Text in the email, nickname or names (case-insensitive, {Q_MIN_LENGTH}+ characters).",
    )
    role = django_filters.ChoiceFilter(choices=Role.choices)
    email_verified = StrictBooleanFilter()
    is_locked = StrictBooleanFilter()
    is_professional = StrictBooleanFilter()
    created_after = UTCIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after (ISO 8601)."
    )
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601).")
    ordering = StableOrderingFilter(
        fields=ORDERINGS, label="created_at, email, nickname or last_login_at; prefix '-' for descending."
    )

    class Meta:
        model = User
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(email__icontains=value)
            | Q(nickname__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )
