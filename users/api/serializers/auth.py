"""Request and response shapes of signing up, logging in, tokens and password reset."""

from rest_framework import serializers

from .profile import EmailInputField, ProfileInputSerializer, password_field


class RegisterSerializer(ProfileInputSerializer):
    email = EmailInputField()
    password = serializers.CharField(
        write_only=True,
        max_length=128,
        style={"input_type": "password"},
        trim_whitespace=False,
        help_text="8+ characters with an upper-case letter, a lower-case letter, a digit and a special character.",
    )


class LoginSerializer(serializers.Serializer):
    """OAuth2 password form: `username` is the email. JSON with the same keys works too."""

    username = serializers.CharField(max_length=255, help_text="The account's email address.")
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)
    grant_type = serializers.CharField(required=False, allow_blank=True, help_text="Ignored (OAuth2 form field).")
    scope = serializers.CharField(required=False, allow_blank=True, help_text="Ignored (OAuth2 form field).")


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh_token = serializers.CharField(help_text="For POST /token/refresh (single use) and POST /logout.")
    refresh_expires_in = serializers.IntegerField(help_text="Seconds until the refresh token expires.")


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000)


class EmailSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=255, help_text="The account's email address.")


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="From the link in the email: /reset/{uid}/{token}/")
    token = serializers.CharField(max_length=100)
    new_password = password_field(help_text="Same rules as at registration.")
