"""Django's own password reset pages, through the account services.

The admin login's "Forgot your password?" link and the link in reset emails use
Django's views and `default_token_generator` (single use: it hashes the
password; expires after PASSWORD_RESET_TIMEOUT) — the same rules as
POST /password-reset/confirm. Sending goes through the outbox and the
finished reset unlocks the account and ends every session, as in the API.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from ..services import password_reset_finish, password_reset_request


class ResetRequestForm(PasswordResetForm):
    def save(self, *args, **kwargs):
        """Queue the link through notifications (nothing said about unknown addresses)."""
        password_reset_request(email=self.cleaned_data["email"])


class ResetSetPasswordForm(SetPasswordForm):
    def save(self, commit=True):
        self.user.set_password(self.cleaned_data["new_password1"])
        if commit:
            self.user = password_reset_finish(user=self.user)
        return self.user


class _AdminContext:
    extra_context = {"site_header": "Event Manager administration", "site_title": "Event Manager admin"}


class PasswordResetView(_AdminContext, auth_views.PasswordResetView):
    form_class = ResetRequestForm


class PasswordResetDoneView(_AdminContext, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(_AdminContext, auth_views.PasswordResetConfirmView):
    form_class = ResetSetPasswordForm


class PasswordResetCompleteView(_AdminContext, auth_views.PasswordResetCompleteView):
    pass
