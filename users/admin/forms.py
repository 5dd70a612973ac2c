"""The admin's forms for accounts: add (nickname generated when empty), edit, and the
staff's "change password" form, which ends the user's sessions through the services."""

import contextlib
import contextvars

from django.contrib.auth.forms import AdminPasswordChangeForm, BaseUserCreationForm, UserChangeForm

from ..models import User
from ..services import account_set_password_by_staff


class UserCreationForm(BaseUserCreationForm):
    """Email, optional nickname (generated when empty), role, and a password twice."""

    class Meta:
        model = User
        fields = ("email", "nickname", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nickname"].required = False

    def clean_nickname(self):
        return self.cleaned_data.get("nickname") or User.objects.unique_nickname()


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


_staff_actor: contextvars.ContextVar = contextvars.ContextVar("staff_actor", default=None)


@contextlib.contextmanager
def acting(user):
    """Who uses the admin's password form (Django builds the form without the request)."""
    token = _staff_actor.set(user)
    try:
        yield
    finally:
        _staff_actor.reset(token)


class StaffSetPasswordForm(AdminPasswordChangeForm):
    """The admin's "change password" form, through `account_set_password_by_staff`:
    the user's sessions end and the change is audited."""

    def save(self, commit=True):
        self.user.set_password(self.cleaned_data["password1"])
        if commit:
            self.user = account_set_password_by_staff(
                actor=_staff_actor.get(), user=self.user, password_hash=self.user.password
            )
        return self.user
