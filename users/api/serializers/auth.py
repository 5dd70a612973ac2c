"""Request and response shapes of signing up, logging in, tokens and password reset."""

from rest_framework import serializers

from .profile import EmailInputField, ProfileInputSerializer, password_field, time_zone_field


class RegisterSerializer(ProfileInputSerializer):
    email = EmailInputField()
    password = serializers.CharField(
        write_only=True,
        max_length=128,
        style={"input_type": "password"},
        trim_whitespace=False,
        help_text="8+ characters with an upper-case letter, a lower-case letter, a digit and a special character.",
    )
    time_zone = time_zone_field(required=False)


class LoginSerializer(serializers.Serializer):
    """OAuth2 password form: `username` is the email. JSON with the same keys works too."""

    username = serializers.CharField(max_length=255, help_text="The account's email address.")
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        trim_whitespace=True,
        help_text=(
            "Only for an account with two-factor sign-in: the 6-digit code from its authenticator app, or one of "
            "its recovery codes. Without it such an account gets a 401 with `code` `otp_required`; a wrong one, "
            "`otp_invalid` (counted toward the lockout like a wrong password)."
        ),
    )
    grant_type = serializers.CharField(required=False, allow_blank=True, help_text="Ignored (OAuth2 form field).")
    scope = serializers.CharField(required=False, allow_blank=True, help_text="Ignored (OAuth2 form field).")
    client_id = serializers.CharField(required=False, allow_blank=True, help_text="Ignored (OAuth2 form field).")
    client_secret = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text=(
            "Read as `otp` when `otp` is not sent: Swagger UI's Authorize dialog has no `otp` box, so type the "
            "code as its client_secret (client credentials location: request body)."
        ),
    )

    def validate(self, attrs):
        attrs["otp"] = attrs.get("otp") or attrs.pop("client_secret", "") or ""
        return attrs


class LoginErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(
        choices=["otp_required", "otp_invalid"],
        required=False,
        help_text="Only when the password was right and the account has two-factor sign-in: send `otp` (again).",
    )


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
