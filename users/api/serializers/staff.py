"""The user resource as staff see it (GET /users/…), and the bodies staff send."""

import functools

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import LinkSerializer, iso_datetime

from ...models import OPTIONAL_PROFILE_FIELDS, PROFILE_FIELDS, Role, User
from ...rules import can_delete, can_manage
from .auth import RegisterSerializer
from .profile import EmailInputField, ProfileInputSerializer


def link(rel: str, href: str, method: str, action: str) -> dict:
    return {"rel": rel, "href": href, "method": method, "action": action}


class UserSerializer(serializers.ModelSerializer):
    """The user resource, with HATEOAS links. Empty optional fields are `null`.

    The declared fields document the schema; the output is built directly from
    the model (`to_representation`), the same values DRF's fields would give,
    without building a field per attribute per request (~15 % of a request's
    time before). Links are made from one absolute prefix per serializer.
    """

    links = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            *PROFILE_FIELDS,
            "role",
            "is_professional",
            "email_verified",
            "is_locked",
            "last_login_at",
            "created_at",
            "updated_at",
            "links",
        )
        read_only_fields = fields
        extra_kwargs = {name: {"allow_null": True} for name in OPTIONAL_PROFILE_FIELDS}

    @functools.cached_property
    def _request(self):
        root = self.root
        return root.context.get("request") if root is not None else None

    @functools.cached_property
    def _users_prefix(self) -> str:
        """`http://host/users/`, computed once for a page of users."""
        prefix = reverse("user-list") + "/"
        return self._request.build_absolute_uri(prefix) if self._request else settings.SERVER_BASE_URL + prefix

    @functools.cached_property
    def _caller(self):
        """Whoever asked (None without a request: every link is listed)."""
        return getattr(self._request, "user", None)

    def _may(self, rule, user) -> bool:
        caller = self._caller
        return caller is None or (caller.is_staff and rule(caller, user))

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, user):
        """Only the actions the caller may perform (`users.rules`): a MANAGER sees no update
        or delete on an ADMIN, and nobody a delete of their own account."""
        href = f"{self._users_prefix}{user.pk}"
        links = [link("self", href, "GET", "view")]
        if self._may(can_manage, user):
            links.append(link("update", href, "PUT", "update"))
        if self._may(can_delete, user):
            links.append(link("delete", href, "DELETE", "delete"))
        return links

    def to_representation(self, user):
        data = {"id": str(user.pk), "email": user.email, "nickname": user.nickname}
        for name in OPTIONAL_PROFILE_FIELDS:
            data[name] = getattr(user, name) or None
        data.update(
            role=user.role,
            is_professional=user.is_professional,
            email_verified=user.email_verified,
            is_locked=user.is_locked,
            last_login_at=iso_datetime(user.last_login_at),
            created_at=iso_datetime(user.created_at),
            updated_at=iso_datetime(user.updated_at),
            links=self.get_links(user),
        )
        return data


class UserCreateSerializer(RegisterSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="ADMIN only. Default ANONYMOUS.")


class UserUpdateSerializer(ProfileInputSerializer):
    """Partial update: only the fields sent change; at least one is required."""

    email = EmailInputField(required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="ADMIN only.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError("No fields to update.", code="empty")
        return attrs


class ProfessionalSerializer(serializers.Serializer):
    is_professional = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
