"""The base of every member form: hints and errors tied to their fields for screen readers."""

from django import forms


class DescribedFieldsMixin:
    """Each field's `aria-describedby` names its hint and, once validated, its error
    (the ids `portal/_field.html` gives them); a field in error is `aria-invalid`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}_hint"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound, attrs = self[name], self.fields[name].widget.attrs
                ids = [attrs.get("aria-describedby", ""), f"{bound.auto_id}_error"]
                attrs["aria-describedby"] = " ".join(i for i in ids if i)
                attrs["aria-invalid"] = "true"


class PortalForm(DescribedFieldsMixin, forms.Form):
    pass
