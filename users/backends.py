from django.contrib.auth.backends import ModelBackend

from .services import AccountLocked, InvalidCredentials, user_login

MANAGER_PERMISSIONS = frozenset(
    {
        "users.view_user",
        "users.add_user",
        "users.change_user",
        "users.delete_user",
        "notifications.view_outgoingemail",
    }
)


class AccountBackend(ModelBackend):
    """Logs in through `user_login` (lockout, verified email) and grants
    permissions by role: ADMIN has all of them, MANAGER manages users."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username or kwargs.get("email")
        if not email or password is None:
            return None
        try:
            return user_login(email=email, password=password)
        except (InvalidCredentials, AccountLocked):
            return None

    def get_all_permissions(self, user_obj, obj=None):
        permissions = super().get_all_permissions(user_obj, obj)
        if user_obj.is_active and getattr(user_obj, "is_manager", False) and obj is None:
            permissions = permissions | MANAGER_PERMISSIONS
        return permissions
