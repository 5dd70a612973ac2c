"""What every events admin page shares: access by role, and applying a service to each selected row."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from ..rules import is_staff
from ..services import EventError


def plural(count, noun="event"):
    return f"{count} {noun}{'' if count == 1 else 's'}"


class StaffRoleAdmin(admin.ModelAdmin):
    """Managers and admins may use it (the role decides, not Django's permission tables)."""

    def _staff(self, request):
        return is_staff(request.user)

    def has_module_permission(self, request):
        return self._staff(request)

    def has_view_permission(self, request, obj=None):
        return self._staff(request)

    def has_add_permission(self, request):
        return self._staff(request)

    def has_change_permission(self, request, obj=None):
        return self._staff(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def apply_each(self, request, objects, call, *, name=str) -> int:
        """`call(obj)` for each object, one service call each; a refusal is reported under
        `name(obj)`, never a 500. Returns how many changed (a call returning False changed nothing)."""
        changed = 0
        for obj in objects:
            try:
                result = call(obj)
            except (EventError, ValidationError) as exc:
                reason = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{name(obj)}: {reason}", messages.ERROR)
            else:
                changed += result is not False
        return changed
