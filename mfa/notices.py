"""The security notice mfa/ sends, registered with notifications/ in MfaConfig.ready()."""

from notifications.registry import EMAIL, IN_APP, Kind, register

FACTORS_CHANGED = "mfa.factors_changed"

# What each change is called in the notice (the audit action without its "mfa." prefix).
CHANGES = {
    "totp_added": "An authenticator app was added as a second factor",
    "totp_removed": "The authenticator app was removed from your second factors",
    "recovery_codes_regenerated": "New recovery codes were made (the old ones no longer work)",
    "factors_reset": "An administrator reset your second factors (and ended your sessions)",
    "passkey_added": "A passkey was added as a second factor",
    "passkey_removed": "A passkey was removed from your second factors",
}


def register_kinds() -> None:
    register(
        Kind(
            key=FACTORS_CHANGED,
            label="Two-factor sign-in changed",
            description="A notice whenever a second factor of your account is added, removed or reset.",
            channels=(EMAIL, IN_APP),
            mandatory=True,
            urgent=True,
            title="Two-factor sign-in changed on your Event Manager account",
            body="{{ change }}. If this was not you, reset your password at once and tell an administrator.",
        )
    )
