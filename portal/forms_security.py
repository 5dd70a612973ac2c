"""Forms of the member's security page (second factors): shape only; mfa.services and
users.services decide, and count wrong passwords and codes toward the lockout."""

from django import forms

from .forms import PortalForm

CODE_HINT = "The 6-digit code your authenticator app shows now, or one of your recovery codes."


def _password():
    return forms.CharField(
        label="Your password",
        strip=False,
        max_length=128,
        help_text="To be sure it is you.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _code(label="A current code", help_text=CODE_HINT, autocomplete="one-time-code"):
    return forms.CharField(
        label=label,
        max_length=32,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false", "autocapitalize": "off"}),
    )


class AppSetupForm(PortalForm):
    """Turn on an authenticator app: the password, the new app's first code and, when the
    member already has a factor (a passkey), a code from it or a recovery code."""

    password = _password()
    code = _code(
        "The 6-digit code the app shows now",
        help_text="After you scanned the QR code or typed the key, the app shows a new code every 30 seconds.",
    )

    def __init__(self, *args, needs_current: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["inputmode"] = "numeric"
        if needs_current:
            self.fields["current_code"] = _code(
                "A recovery code", help_text="You have a passkey: one of your recovery codes proves it is you."
            )
            self.fields["current_code"].widget.attrs["aria-describedby"] = f"{self['current_code'].auto_id}_hint"


class PasswordAndCodeForm(PortalForm):
    """Remove a factor, new recovery codes: the password and a current code (or a recovery code)."""

    password = _password()
    code = _code()


class OwnerForm(PortalForm):
    """Before adding a passkey: the password and, when the member has a factor, a code."""

    password = _password()

    def __init__(self, *args, needs_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["code"] = _code()
            self.fields["code"].widget.attrs["aria-describedby"] = f"{self['code'].auto_id}_hint"


class SecondStepForm(PortalForm):
    """The log-in's second step for a member with a passkey: or a code instead."""

    code = _code("Or a code", help_text=CODE_HINT)


class PasskeyNameForm(PortalForm):
    name = forms.CharField(
        label="Name",
        max_length=64,
        help_text="So you can tell your passkeys apart, e.g. “Work laptop” or “Blue security key”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
