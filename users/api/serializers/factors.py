"""The caller's second factors (/users/me/factors…): what is shown (never a key, a hash
or a code) and the bodies that prove who is asking (the password and a code)."""

from rest_framework import serializers

from .profile import password_field


def code_field(**kwargs):
    return serializers.CharField(max_length=64, trim_whitespace=True, **kwargs)


class TotpStateSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class PasskeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class FactorsSerializer(serializers.Serializer):
    """`mfa.selectors.Factors` as the API shows it."""

    totp = TotpStateSerializer(help_text="The authenticator app (TOTP).")
    recovery_codes_left = serializers.IntegerField(help_text="Unused recovery codes (each works once).")
    passkeys = PasskeySerializer(many=True)

    def to_representation(self, factors):
        return super().to_representation(
            {
                "totp": {
                    "enabled": factors.totp,
                    "created_at": factors.totp_created_at,
                    "last_used_at": factors.totp_last_used_at,
                },
                "recovery_codes_left": factors.recovery_codes_left,
                "passkeys": [vars(passkey) for passkey in factors.passkeys],
            }
        )


class TotpSetupSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField(help_text="For the authenticator app (what the QR code holds).")
    key = serializers.CharField(help_text="The same key, base32 in groups of four, to type in by hand.")
    qr_svg = serializers.CharField(help_text="The QR code as an SVG element.")


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Shown this once: store them safely. Empty when you already had codes (they still work).",
    )


class PasswordAndCodeSerializer(serializers.Serializer):
    password = password_field(help_text="Your current password.")
    code = code_field(help_text="A code from your authenticator app, or a recovery code.")


class TotpConfirmSerializer(serializers.Serializer):
    password = password_field(help_text="Your current password.")
    code = code_field(help_text="The code the newly set up authenticator app shows.")
    current_code = code_field(
        required=False,
        allow_blank=True,
        default="",
        help_text="Only when you already have a second factor (a passkey): a recovery code.",
    )
