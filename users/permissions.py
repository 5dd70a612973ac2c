"""The API's permissions, named for what they allow; staff is `User.is_staff`."""

from rest_framework.permissions import BasePermission

from .rules import can_manage


def _is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin)


class IsAdminOrManager(BasePermission):
    """ADMIN or MANAGER role."""

    message = "Only admins and managers may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_staff)


class CanManageTarget(BasePermission):
    """Object check: a MANAGER may not change or delete an ADMIN (creating one
    needs `role`, which RoleChangeRequiresAdmin keeps for admins)."""

    message = "Managers cannot modify admin accounts."

    def has_object_permission(self, request, view, obj):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return can_manage(request.user, obj)


class RoleChangeRequiresAdmin(BasePermission):
    """Only an ADMIN may send `role` when creating or updating a user."""

    message = "Only an admin may set a user's role."

    def has_permission(self, request, view):
        if request.method in ("POST", "PUT", "PATCH") and isinstance(request.data, dict) and "role" in request.data:
            return _is_admin(request.user)
        return True


class IsAdmin(BasePermission):
    """ADMIN role only."""

    message = "Only admins may do this."

    def has_permission(self, request, view):
        return _is_admin(request.user)
