from django import forms
from django.core.exceptions import ValidationError

from .models import NotificationPreference
from .preferences import check_change
from .registry import UnknownKind, get_kind, kinds


class NotificationPreferenceForm(forms.ModelForm):
    """The admin's form: the same rules as the API (a mandatory kind cannot be turned off)."""

    kind = forms.ChoiceField()

    class Meta:
        model = NotificationPreference
        fields = ["user", "kind", "email", "in_app", "digest"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.key, f"{kind.label} ({kind.key})") for kind in kinds()]

    def clean(self):
        data = super().clean()
        try:
            kind = get_kind(data.get("kind", ""))
        except UnknownKind:
            return data
        problems = check_change(kind, {key: data.get(key) for key in ("email", "in_app", "digest")})
        if kind.mandatory:
            problems.append(f"{kind.key} is mandatory: it is always sent, there is nothing to choose.")
        if problems:
            raise ValidationError(problems)
        return data
