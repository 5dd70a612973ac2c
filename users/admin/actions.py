"""The bulk actions on the user list: lock, unlock, verify, resend, professional status,
roles (ADMIN after a confirmation page), end sessions, CSV export. Each goes through
the services, skips the accounts the actor may not manage, and writes History."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone

from core.csv import csv_response

from .. import services
from ..models import Role
from .history import describe_changes
from .sudo import sudo_required

# What an action may change, in the order History lists it.
TRACKED_FIELDS = ("role", "email_verified", "is_locked", "failed_login_attempts", "is_professional")
CSV_COLUMNS = (
    "id",
    "email",
    "nickname",
    "first_name",
    "last_name",
    "role",
    "email_verified",
    "is_locked",
    "is_professional",
    "resume_url",
    "last_login_at",
    "created_at",
)


def plural(count, noun="user"):
    return f"{count} {noun}{'' if count == 1 else 's'}"


class UserActionsMixin:
    """The actions of `UserAdmin` (a `ModelAdmin`: `message_user`, `log_change`, `has_set_role_permission`)."""

    actions = (
        "delete_selected",
        "lock_users",
        "unlock_users",
        "mark_email_verified",
        "resend_verification_email",
        "grant_professional",
        "revoke_professional",
        "set_role_anonymous",
        "set_role_authenticated",
        "set_role_manager",
        "set_role_admin",
        "end_sessions",
        "export_csv",
    )

    def _manageable(self, request, queryset):
        return queryset if request.user.is_admin else queryset.exclude(role=Role.ADMIN)

    def _apply(self, request, queryset, service, *, done, unchanged):
        """Run `service(user)` (True when it changed something) on each selected user the
        actor may manage; record each change in the user's History and count what changed."""
        users = list(self._manageable(request, queryset))
        changed = same = 0
        for user in users:
            before = {name: getattr(user, name) for name in TRACKED_FIELDS}
            try:
                did_change = service(user)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{user}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR)
                continue
            if did_change:
                self.log_change(request, user, describe_changes(before, user))
                changed += 1
            else:
                same += 1
        message = f"{done} {plural(changed)}"
        if same:
            message += f"; {same} {'was' if same == 1 else 'were'} {unchanged}"
        self.message_user(request, f"{message}.", messages.SUCCESS if changed else messages.INFO)
        skipped = queryset.count() - len(users)
        if skipped:
            self.message_user(
                request, f"Skipped {plural(skipped, 'admin account')}: managers cannot change admins.", messages.WARNING
            )

    @admin.action(description="Lock selected users", permissions=["change"])
    def lock_users(self, request, queryset):
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, "You cannot lock your own account; it was left unlocked.", messages.WARNING)
        self._apply(
            request,
            queryset.exclude(pk=request.user.pk),
            lambda user: services.user_lock(user=user, actor=request.user),
            done="Locked",
            unchanged="already locked",
        )

    @admin.action(description="Unlock selected users (resets failed logins)", permissions=["change"])
    def unlock_users(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda user: services.user_unlock(user=user, actor=request.user),
            done="Unlocked",
            unchanged="not locked",
        )

    @admin.action(description="Mark email as verified", permissions=["change"])
    def mark_email_verified(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda user: services.user_mark_email_verified(user=user, actor=request.user),
            done="Verified the email of",
            unchanged="already verified",
        )

    @admin.action(description="Resend verification email", permissions=["change"])
    def resend_verification_email(self, request, queryset):
        sent, verified = 0, 0
        for user in self._manageable(request, queryset):
            if services.user_resend_verification(user=user):
                self.log_change(request, user, f"Verification email queued to {user.email}")
                sent += 1
            else:
                verified += 1
        message = f"Queued a verification email to {plural(sent)}"
        if verified:
            message += f"; {verified} {'was' if verified == 1 else 'were'} already verified"
        self.message_user(request, f"{message}.", messages.SUCCESS if sent else messages.INFO)

    @admin.action(description="Grant professional status", permissions=["change"])
    def grant_professional(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda user: services.user_set_professional(user=user, is_professional=True, actor=request.user),
            done="Granted professional status to",
            unchanged="already professional",
        )

    @admin.action(description="Revoke professional status", permissions=["change"])
    def revoke_professional(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda user: services.user_set_professional(user=user, is_professional=False, actor=request.user),
            done="Revoked professional status from",
            unchanged="not professional",
        )

    def _set_role(self, request, queryset, role):
        self._apply(
            request,
            queryset,
            lambda user: services.user_set_role(actor=request.user, user=user, role=role),
            done=f"Set role {role.value} on",
            unchanged=f"already {role.value}",
        )

    @admin.action(description="Set role: Anonymous", permissions=["set_role"])
    def set_role_anonymous(self, request, queryset):
        self._set_role(request, queryset, Role.ANONYMOUS)

    @admin.action(description="Set role: Authenticated", permissions=["set_role"])
    def set_role_authenticated(self, request, queryset):
        self._set_role(request, queryset, Role.AUTHENTICATED)

    @admin.action(description="Set role: Manager", permissions=["set_role"])
    def set_role_manager(self, request, queryset):
        self._set_role(request, queryset, Role.MANAGER)

    @admin.action(description="Set role: Admin", permissions=["set_role"])
    def set_role_admin(self, request, queryset):
        """Asks first: an ADMIN can do everything, including making more admins (and, in
        sudo mode, for the password again)."""
        reauth = sudo_required(self, request, purpose="make users admins")
        if reauth is not None:
            return reauth
        if request.POST.get("confirm") != "yes":
            return self._confirm_admin_role(request, queryset)
        self._set_role(request, queryset, Role.ADMIN)

    @admin.action(description=django_delete_selected.short_description, permissions=["delete"])
    def delete_selected(self, request, queryset):
        """Django's own (a confirmation page, then `delete_queryset`), after sudo mode's check."""
        return sudo_required(self, request, purpose="delete users") or django_delete_selected(self, request, queryset)

    @admin.action(description="Log out everywhere (end every session)", permissions=["change"])
    def end_sessions(self, request, queryset):
        users = list(self._manageable(request, queryset))
        for user in users:
            services.session_end_all_by_staff(actor=request.user, user=user)
        self.message_user(request, f"Ended every session of {plural(len(users))}.", messages.SUCCESS)

    @admin.action(description="Export selected users to CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """Streams the selection ("Select all" takes the whole filtered list) as formula-safe CSV:
        the whole filtered list of a million users never sits in memory."""
        rows = queryset.order_by("created_at", "id").values_list(*CSV_COLUMNS).iterator(chunk_size=2000)
        return csv_response(f"users-{timezone.now():%Y%m%d-%H%M%S}.csv", CSV_COLUMNS, rows)

    def _confirm_admin_role(self, request, queryset):
        """An intermediate page, like Django's delete confirmation: who would become ADMIN."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Make these users admins?",
            "opts": self.opts,
            "users": list(queryset[:100]),
            "count": queryset.count(),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/users/user/confirm_admin_role.html", context)
