"""Sudo mode: the admin's dangerous actions (making someone ADMIN, resetting another
user's factors, deleting users) ask for the password, and a code when the acting user
has a second factor, once the last check is older than ADMIN_REAUTH_MINUTES.

`sudo_required(model_admin, request, purpose=...)` is None when the check is recent
enough; otherwise it answers the re-authentication page. That page posts back to the
same URL with everything the original request posted (the action, the selection, the
confirmation, the form's fields), so a right password carries on with the action
itself; a page that was asked for by GET (a deletion's confirmation page) is shown
again. A wrong password counts toward the account lockout as a login does
(`services.user_login`, one atomic step).
"""

from django import forms
from django.conf import settings
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from mfa import services as mfa

from .. import services
from ..models import User
from ..staff_session import is_recent, mark_checked

PASSWORD_FIELD, CODE_FIELD = "sudo_password", "sudo_code"
NOT_CARRIED = {"csrfmiddlewaretoken", PASSWORD_FIELD, CODE_FIELD}
# Carried when the original POST had nothing else to carry: the action was a POST.
WAS_POST = "sudo_was_post"


class ReauthForm(forms.Form):
    """The acting user's password, and a code when they have a second factor."""

    sudo_password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    sudo_code = forms.CharField(
        label="A code from your authenticator app, or a recovery code",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.needs_code = mfa.user_has_factor(user)
        if not self.needs_code:
            del self.fields[CODE_FIELD]

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:  # the message is tied to its field
                self.fields[name].widget.attrs.update({"aria-describedby": f"id_{name}_error", "aria-invalid": "true"})

    def clean(self):
        """Password and code in one login attempt (`user_login`): wrong ones count toward
        the lockout in the same atomic step as at sign-in; a used code is refused."""
        password, code = self.cleaned_data.get(PASSWORD_FIELD), (self.cleaned_data.get(CODE_FIELD) or "").strip()
        if password is None:
            return self.cleaned_data
        if self.needs_code and not code:
            self.add_error(CODE_FIELD, "Enter a code from your authenticator app, or a recovery code.")
            return self.cleaned_data
        try:
            services.user_login(email=self.user.email, password=password, otp=code or None)
        except services.AccountLocked:
            self.add_error(PASSWORD_FIELD, "Your account is locked after too many wrong attempts.")
        except services.SecondFactorRequired:  # SecondFactorInvalid included
            self.add_error(CODE_FIELD, "That code is not valid (or was used already).")
        except services.InvalidCredentials:
            self.add_error(PASSWORD_FIELD, "That is not your password.")
        return self.cleaned_data


def sudo_required(admin, request, *, purpose: str):
    """None when the password was proved in the last ADMIN_REAUTH_MINUTES (or is proved by
    this very request); else the re-authentication page, which comes back here. `admin`:
    the `ModelAdmin` (or the `AdminSite`, for a page of the site's own) asking."""
    if is_recent(request):
        return None
    form = None
    if request.method == "POST" and PASSWORD_FIELD in request.POST:
        form = ReauthForm(request.user, request.POST)
        if form.is_valid():
            mark_checked(request)
            if not _carried(request):  # asked for by GET: show that page again
                return HttpResponseRedirect(request.get_full_path())
            return None
    context = {
        **getattr(admin, "admin_site", admin).each_context(request),
        "title": "Confirm it is you",
        "opts": getattr(admin, "opts", User._meta),
        "purpose": purpose,
        "form": form or ReauthForm(request.user),
        "carried": _carried(request),
        "minutes": settings.ADMIN_REAUTH_MINUTES,
    }
    response = TemplateResponse(request, "admin/users/reauth.html", context)
    add_never_cache_headers(response)
    return response


def _carried(request) -> list[tuple[str, str]]:
    """What the page posts back: the original POST's fields (none for a GET)."""
    if request.method != "POST":
        return []
    items = [(name, value) for name in request.POST if name not in NOT_CARRIED for value in request.POST.getlist(name)]
    if not items and PASSWORD_FIELD not in request.POST:
        items = [(WAS_POST, "1")]
    return items
