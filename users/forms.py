from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from . import services
from .models import User

LOCKED = (
    "This account is locked after too many failed logins. To get back in, choose a new password "
    "with \u201cForgotten your password or username?\u201d below (or the link in the email we sent): "
    "a new password unlocks the account. Otherwise the lock lifts by itself after the cool-off "
    "(if one is set), or another admin can unlock it (the Unlock action in Users)."
)
NOT_VERIFIED = (
    "This account's email address is not verified yet. Open the link in the verification "
    "email, or ask an admin to mark the email verified."
)


class StaffLoginForm(AdminAuthenticationForm):
    """The admin login's first step, through the same rules as the API's `user_login`
    (lockout, verified email); a user with a second factor is then asked for a code
    (users.two_step).

    A locked staff account is told so whatever the password (as the API's 400 does: a
    locked account's password is never checked, so the form is no oracle for guesses);
    whoever gives the right password of an unverified staff account is told why. An
    unknown email and a wrong password keep the generic message.
    """

    error_messages = {**AdminAuthenticationForm.error_messages, "locked": LOCKED, "not_verified": NOT_VERIFIED}

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is None or not password:
            return self.cleaned_data
        try:
            user, _ = services.user_login_first_step(email=email, password=password)
        except services.AccountLocked:  # as the API says it; the password is never checked
            raise self._error_for_staff(email, "locked") from None
        except services.EmailNotVerified:
            raise self._error_for_staff(email, "not_verified") from None
        except services.InvalidCredentials:
            raise self.get_invalid_login_error() from None
        user.backend = "users.backends.AccountBackend"
        self.user_cache = user
        self.confirm_login_allowed(user)
        return self.cleaned_data

    def _error_for_staff(self, email, code) -> ValidationError:
        """The reason (`code`) for a staff account (`User.is_staff`); the generic message for anyone else."""
        user = User.objects.by_email(email).first()
        if user is not None and user.is_staff:
            return ValidationError(self.error_messages[code], code=code)
        return self.get_invalid_login_error()
