from rest_framework.permissions import BasePermission

from .models import STAFF_ROLES, Role


class IsAdminOrManager(BasePermission):
    """ADMIN or MANAGER role."""

    message = "Only admins and managers may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.role in STAFF_ROLES)


class CanManageTarget(BasePermission):
    """Object check: a MANAGER may not change or delete an ADMIN (creating one
    needs `role`, which RoleChangeRequiresAdmin keeps for admins)."""

    message = "Managers cannot modify admin accounts."

    def has_object_permission(self, request, view, obj):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return obj.role != Role.ADMIN or request.user.role == Role.ADMIN


class RoleChangeRequiresAdmin(BasePermission):
    """Only an ADMIN may send `role` when creating or updating a user."""

    message = "Only an admin may set a user's role."

    def has_permission(self, request, view):
        if request.method in ("POST", "PUT", "PATCH") and isinstance(request.data, dict) and "role" in request.data:
            return request.user.role == Role.ADMIN
        return True


class IsAdmin(BasePermission):
    """ADMIN role only."""

    message = "Only admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.ADMIN)
