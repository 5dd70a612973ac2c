"""The caller's own account (/users/me): the resource and the bodies a member sends."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import LinkSerializer

from ...models import SETTING_FIELDS
from .profile import EmailInputField, ProfileInputSerializer, password_field, time_zone_field
from .staff import UserSerializer, link

READ_ONLY_ACCOUNT_FIELDS = (
    "id",
    "role",
    "is_locked",
    "email_verified",
    "is_professional",
    "failed_login_attempts",
    "last_login_at",
    "created_at",
    "updated_at",
    "password",
    "pending_email",
    "token_version",
    "links",
)


class AccountSerializer(UserSerializer):
    """The user resource as its owner sees it: links to /users/me, the new address
    waiting for confirmation (`pending_email`, null when none) and the member's own
    settings (`time_zone`, `show_in_directory`), which staff views leave out."""

    pending_email = serializers.EmailField(allow_null=True, read_only=True)
    time_zone = serializers.CharField(read_only=True, help_text="IANA time zone name; times are shown in it.")
    show_in_directory = serializers.BooleanField(
        read_only=True, help_text="Listed in the member directory and on attendee lists (opt-in)."
    )

    class Meta(UserSerializer.Meta):
        fields = (*UserSerializer.Meta.fields, "pending_email", *SETTING_FIELDS)
        read_only_fields = fields

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, user):
        """What the owner may do on /users/me; `logout` only for a caller with a session
        (a new registrant has none: they verify the address, then log in)."""
        href = self._users_prefix + "me"
        links = [
            link("self", href, "GET", "view"),
            link("update", href, "PATCH", "update"),
            link("close", href, "DELETE", "close"),
        ]
        if self._caller is None or self._caller.is_authenticated:
            links.append(link("logout", self._users_prefix[: -len("users/")] + "logout", "POST", "logout"))
        return links

    def to_representation(self, user):
        data = super().to_representation(user)
        data["pending_email"] = user.pending_email or None
        data["time_zone"] = user.time_zone
        data["show_in_directory"] = user.show_in_directory
        return data


class AccountUpdateSerializer(ProfileInputSerializer):
    """What a member may change about themselves. A new `email` is confirmed by a
    link sent to it; read-only fields are refused by name, never silently ignored."""

    email = EmailInputField(required=False, help_text="A new address: it changes once the link sent to it is used.")
    time_zone = time_zone_field(required=False)
    show_in_directory = serializers.BooleanField(
        required=False,
        help_text="Opt in to the member directory and to the attendee lists other confirmed attendees see "
        "(name, nickname, bio, professional badge, LinkedIn and GitHub links; nothing else).",
    )

    def validate(self, attrs):
        sent = set(self.initial_data) if isinstance(self.initial_data, dict) else set()
        refused = sorted(sent & set(READ_ONLY_ACCOUNT_FIELDS))
        unknown = sorted(sent - set(self.fields) - set(READ_ONLY_ACCOUNT_FIELDS))
        errors = {name: ["This field cannot be changed here."] for name in refused}
        errors.update({name: ["Unknown field."] for name in unknown})
        if errors:
            raise serializers.ValidationError(errors)
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError("No fields to update.", code="empty")
        return attrs


class AccountCloseSerializer(serializers.Serializer):
    password = password_field(help_text="Your current password.")


class PasswordChangeSerializer(serializers.Serializer):
    old_password = password_field()
    new_password = password_field(help_text="Same rules as at registration.")
