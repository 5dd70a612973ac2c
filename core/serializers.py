"""Shapes every app's responses share: errors, messages, HATEOAS links.

drf-spectacular names schema components after these classes (`Error`,
`ValidationError`, `Message`, `Link`): renaming one changes the published schema.
"""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """`detail` sums up the problems; each offending field is a key with its messages."""

    detail = serializers.CharField()
    email = serializers.ListField(child=serializers.CharField(), required=False)
    password = serializers.ListField(child=serializers.CharField(), required=False)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    rel = serializers.CharField()
    href = serializers.URLField()
    method = serializers.CharField()
    action = serializers.CharField()


def iso_datetime(value):
    """DRF's DateTimeField output for an aware UTC datetime: ISO 8601 with `Z`."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
