"""Forms of joining, signing in and the account pages: shape only (the users and
notifications services decide), with GOV.UK-style labels and hints."""

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts

from core.timezones import time_zone_names

from .forms import PortalForm

# Areas of the tz database offered in the time zone select (the legacy aliases such as
# "US/Eastern" or "EST5EDT" are left out to keep the list short; any valid name is accepted).
ZONE_AREAS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


def password_rules() -> str:
    """The password validators' rules in one sentence, shown before submitting."""
    return " ".join(password_validators_help_texts())


def zone_choices(current: str = "") -> list:
    """The select's options, grouped by area (the member's current zone always among them)."""
    names = {n for n in time_zone_names() if n.split("/", 1)[0] in ZONE_AREAS and "/" in n}
    names |= {"UTC"} | ({current} if current else set())
    groups: dict[str, list] = {}
    for name in sorted(names):
        area, _, city = name.partition("/")
        groups.setdefault(area if city else "Other", []).append((name, city.replace("_", " ") or name))
    return [(area, options) for area, options in groups.items()]


def _password(label, *, help_text="", autocomplete="current-password"):
    return forms.CharField(
        label=label,
        help_text=help_text,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def _email(label="Email address", help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=255,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class CompactSelect(forms.Select):
    """A select without the whitespace between its options (the time zone list has ~400)."""

    template_name = "portal/widgets/compact_select.html"


class SignupForm(PortalForm):
    email = _email(help_text="We send a link to this address to confirm it is yours.")
    password = _password("Password", autocomplete="new-password")
    nickname = forms.CharField(
        label="Nickname",
        required=False,
        max_length=50,
        help_text="3 to 50 letters, digits, '_' or '-'. We make one up if you leave it empty.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    time_zone = forms.CharField(
        label="Time zone",
        required=False,
        max_length=64,
        help_text="Times are shown to you in this zone, e.g. Europe/Paris. You can change it later.",
        widget=forms.TextInput(attrs={"data-propose-time-zone": "", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_rules()
        self.fields["password"].widget.attrs["aria-describedby"] = f"{self['password'].auto_id}_hint"


class LoginForm(PortalForm):
    email = _email()
    password = _password("Password")
    otp = forms.CharField(
        label="One-time code",
        required=False,
        max_length=64,
        help_text="Only if your account has two-factor sign-in: the code from your authenticator app, "
        "or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}),
    )


class EmailForm(PortalForm):
    email = _email()


class SetPasswordForm(PortalForm):
    new_password = _password("New password", autocomplete="new-password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = password_rules()
        self.fields["new_password"].widget.attrs["aria-describedby"] = f"{self['new_password'].auto_id}_hint"


class ProfileForm(PortalForm):
    first_name = forms.CharField(label="First name", required=False, max_length=100)
    last_name = forms.CharField(label="Last name", required=False, max_length=100)
    nickname = forms.CharField(
        label="Nickname", max_length=50, help_text="3 to 50 letters, digits, '_' or '-'. Other members see it."
    )
    bio = forms.CharField(
        label="About you",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Up to 500 characters.",
    )
    profile_picture_url = forms.CharField(
        label="Photo URL",
        required=False,
        max_length=500,
        help_text="An https address of an image ending in .jpg, .jpeg, .png, .gif or .webp.",
        widget=forms.URLInput(),
    )
    linkedin_profile_url = forms.CharField(
        label="LinkedIn profile URL", required=False, max_length=500, widget=forms.URLInput()
    )
    github_profile_url = forms.CharField(
        label="GitHub profile URL", required=False, max_length=500, widget=forms.URLInput()
    )
    resume_url = forms.CharField(
        label="Résumé URL",
        required=False,
        max_length=500,
        widget=forms.URLInput(),
        help_text="Managers look at it before granting professional status.",
    )


class EmailChangeForm(PortalForm):
    email = _email(
        "New email address",
        help_text="We send a link to the new address; until you open it, you keep logging in with the current one.",
    )


class PasswordChangeForm(PortalForm):
    old_password = _password("Current password")
    new_password = _password("New password", autocomplete="new-password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = password_rules()
        self.fields["new_password"].widget.attrs["aria-describedby"] = f"{self['new_password'].auto_id}_hint"


class SettingsForm(PortalForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Times of events are shown to you in this zone.",
        widget=CompactSelect(attrs={"autocomplete": "off"}),
    )
    show_in_directory = forms.BooleanField(
        label="Show me to other members",
        required=False,
        help_text="Off by default. When on, your name, nickname, bio, pro badge and LinkedIn and GitHub links "
        "appear in the member directory and on the attendee lists of events you registered for.",
    )

    def __init__(self, *args, current_zone="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices(current_zone)


class CloseAccountForm(PortalForm):
    password = _password("Password", help_text="To be sure it is you.")


class PreferencesForm(PortalForm):
    """One fieldset per kind: email and in-app checkboxes, and the digest choice where
    offered. Mandatory kinds have no fields (shown locked by the template)."""

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            if item["mandatory"]:
                continue
            key = item["kind"]
            if item["email"] is not None:
                self.fields[f"{key}:email"] = forms.BooleanField(
                    label="By email", required=False, initial=item["email"]
                )
            if item["in_app"] is not None:
                self.fields[f"{key}:in_app"] = forms.BooleanField(
                    label="In the app", required=False, initial=item["in_app"]
                )
            if item["digest"] is not None and len(item["digest_choices"]) > 1:
                self.fields[f"{key}:digest"] = forms.ChoiceField(
                    label="When",
                    initial=item["digest"],
                    required=False,
                    choices=[("immediately", "At once"), ("daily", "In a daily digest")],
                )

    def rows(self):
        """(item, its bound fields) per kind, for the template."""
        for item in self.items:
            key = item["kind"]
            fields = [self[f"{key}:{c}"] for c in ("email", "in_app", "digest") if f"{key}:{c}" in self.fields]
            yield item, fields

    def changes(self) -> list[dict]:
        changes = []
        for item in self.items:
            if item["mandatory"]:
                continue
            change = {"kind": item["kind"]}
            for channel in ("email", "in_app", "digest"):
                name = f"{item['kind']}:{channel}"
                if name in self.cleaned_data and self.cleaned_data[name] != "":
                    change[channel] = self.cleaned_data[name]
            changes.append(change)
        return changes
