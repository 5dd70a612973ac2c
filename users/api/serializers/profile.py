"""The input fields every audience shares: profile fields checked by the model's
validators (the same ones the admin uses), and passwords.

Input serializers check types and presence only; the content rules (email
format and uniqueness, nickname pattern, URL schemes, lengths, password
strength) run in the service through the model's validators.
"""

from django.core.validators import MaxLengthValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class ModelCheckedCharField(serializers.CharField):
    """A string whose `max_length` is documented in the schema but enforced by
    the model's validators, so one response names every bad field at once."""

    def run_validators(self, value):
        validators = self.validators
        try:
            self.validators = [v for v in validators if not isinstance(v, MaxLengthValidator)]
            super().run_validators(value)
        finally:
            self.validators = validators


@extend_schema_field({"type": "string", "format": "uri", "maxLength": 500})
class URLInputField(ModelCheckedCharField):
    """An http(s) URL, checked by the model."""


@extend_schema_field({"type": "string", "format": "email", "maxLength": 255})
class EmailInputField(ModelCheckedCharField):
    """An email address, checked by the model."""


def _text(max_length, **kwargs):
    return ModelCheckedCharField(required=False, allow_blank=True, allow_null=True, max_length=max_length, **kwargs)


def _url(**kwargs):
    return URLInputField(required=False, allow_blank=True, allow_null=True, **kwargs)


class ProfileInputSerializer(serializers.Serializer):
    """Optional profile fields; `null` clears a field."""

    nickname = _text(50, help_text="3-50 letters, digits, '_' or '-'. Generated (e.g. clever_fox_123) when absent.")
    first_name = _text(100)
    last_name = _text(100)
    bio = _text(500)
    profile_picture_url = _url(help_text="http(s) URL ending in .jpg, .jpeg, .png, .gif or .webp.")
    linkedin_profile_url = _url()
    github_profile_url = _url()
    resume_url = _url(help_text="http(s) URL of a résumé; managers read it before granting professional status.")

    def validate(self, attrs):
        return {name: ("" if value is None else value) for name, value in attrs.items()}


def time_zone_field(**kwargs):
    """An IANA time zone name, checked by the model (`core.timezones.validate_time_zone`)."""
    return ModelCheckedCharField(
        max_length=64,
        help_text="IANA time zone name, e.g. Europe/Paris; times are shown to you in it. Default: the server's.",
        **kwargs,
    )


def password_field(**kwargs):
    return serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"}, **kwargs)
