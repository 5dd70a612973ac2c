from rest_framework import serializers

from .models import Notification
from .registry import DIGEST_CHOICES


class NotificationSerializer(serializers.ModelSerializer):
    """One in-app notification, as its recipient sees it."""

    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "is_read", "read_at", "created_at"]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(help_text="How many notifications were unread and are now read.")
    unread_count = serializers.IntegerField()


class PreferenceSerializer(serializers.Serializer):
    """A kind and the recipient's choice; `null` where the kind has no such channel."""

    kind = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    channels = serializers.ListField(child=serializers.ChoiceField(choices=["email", "in_app"]))
    mandatory = serializers.BooleanField(help_text="Locked: cannot be turned off.")
    urgent = serializers.BooleanField(help_text="Always emailed immediately, never in a digest.")
    email = serializers.BooleanField(allow_null=True)
    in_app = serializers.BooleanField(allow_null=True)
    digest = serializers.ChoiceField(choices=DIGEST_CHOICES, allow_null=True)
    digest_choices = serializers.ListField(child=serializers.CharField(), help_text="What `digest` may be set to.")


class PreferenceListSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True)


class PreferenceChangeSerializer(serializers.Serializer):
    """One kind to change; omitted or null fields keep their value."""

    kind = serializers.CharField(max_length=100)
    email = serializers.BooleanField(required=False, allow_null=True, default=None)
    in_app = serializers.BooleanField(required=False, allow_null=True, default=None)
    digest = serializers.ChoiceField(choices=DIGEST_CHOICES, required=False, allow_null=True, default=None)


class PreferenceUpdateSerializer(serializers.Serializer):
    preferences = PreferenceChangeSerializer(many=True, allow_empty=False, max_length=200)
