from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError

from . import services
from .models import Role, User


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


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """The primary tool to inspect and manage accounts."""

    add_form = UserCreationForm
    form = UserEditForm
    list_display = (
        "email",
        "nickname",
        "role",
        "email_verified",
        "is_locked",
        "is_professional",
        "last_login_at",
        "created_at",
    )
    list_filter = ("role", "email_verified", "is_locked", "is_professional", "created_at")
    search_fields = ("email", "nickname", "first_name", "last_name")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = (
        "id",
        "email_verified",
        "is_locked",
        "failed_login_attempts",
        "is_professional",
        "professional_status_updated_at",
        "last_login_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("nickname", "first_name", "last_name", "bio")}),
        ("Links", {"fields": ("profile_picture_url", "linkedin_profile_url", "github_profile_url")}),
        (
            "Role and status",
            {"fields": ("role", "email_verified", "is_professional", "professional_status_updated_at")},
        ),
        ("Security", {"fields": ("is_locked", "failed_login_attempts", "last_login_at")}),
        ("Timestamps", {"fields": ("created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "nickname", "role", "password1", "password2")}),)
    filter_horizontal = ()
    actions = (
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
    )

    # --- permissions: managers see users but cannot touch admins or roles ----

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and (not request.user.is_admin or obj.pk == request.user.pk):
            fields = (*fields, "role")  # managers never set roles; nobody sets their own
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and not request.user.is_admin and "role" in form.base_fields:
            role = form.base_fields["role"]
            role.choices = [
                (value, label) for value, label in role.choices if value in ("", Role.ANONYMOUS, Role.AUTHENTICATED)
            ]
        return form

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_admin and not request.user.is_admin:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.pk == request.user.pk or (obj.is_admin and not request.user.is_admin)):
            return False
        return super().has_delete_permission(request, obj)

    def has_set_role_permission(self, request):
        return request.user.is_admin

    def save_model(self, request, obj, form, change):
        """Through the services: an edit writes only the changed columns (never
        undoing a concurrent lock) and follows the same role rules as the API."""
        if not change:
            services.user_add(user=obj)
        elif form.changed_data:
            services.user_update(
                actor=request.user, user=obj, data={name: form.cleaned_data[name] for name in form.changed_data}
            )

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, self._manageable(request, queryset).exclude(pk=request.user.pk))

    # --- actions -------------------------------------------------------------

    def _manageable(self, request, queryset):
        return queryset if request.user.is_admin else queryset.exclude(role=Role.ADMIN)

    def _apply(self, request, queryset, service, done):
        """Run `service` on each selected user the actor may manage, and record it
        in the user's History like any admin change."""
        users = list(self._manageable(request, queryset))
        for user in users:
            service(user=user)
            self.log_change(request, user, done)
        skipped = queryset.count() - len(users)
        self.message_user(request, f"{done}: {len(users)} user(s).", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Skipped {skipped} admin account(s).", messages.WARNING)

    @admin.action(description="Lock selected users", permissions=["change"])
    def lock_users(self, request, queryset):
        self._apply(request, queryset.exclude(pk=request.user.pk), services.user_lock, "Locked")

    @admin.action(description="Unlock selected users (resets failed logins)", permissions=["change"])
    def unlock_users(self, request, queryset):
        self._apply(request, queryset, services.user_unlock, "Unlocked")

    @admin.action(description="Mark email as verified", permissions=["change"])
    def mark_email_verified(self, request, queryset):
        self._apply(request, queryset, services.user_mark_email_verified, "Marked verified")

    @admin.action(description="Resend verification email", permissions=["change"])
    def resend_verification_email(self, request, queryset):
        sent = 0
        for user in self._manageable(request, queryset):
            if services.user_resend_verification(user=user):
                self.log_change(request, user, "Resent verification email")
                sent += 1
        self.message_user(request, f"Queued {sent} verification email(s); verified users were skipped.")

    @admin.action(description="Grant professional status", permissions=["change"])
    def grant_professional(self, request, queryset):
        self._apply(
            request, queryset, lambda user: services.user_set_professional(user=user, is_professional=True), "Granted"
        )

    @admin.action(description="Revoke professional status", permissions=["change"])
    def revoke_professional(self, request, queryset):
        self._apply(
            request, queryset, lambda user: services.user_set_professional(user=user, is_professional=False), "Revoked"
        )

    def _set_role(self, request, queryset, role):
        changed = 0
        for user in queryset:
            try:
                services.user_set_role(actor=request.user, user=user, role=role)
                self.log_change(request, user, f"Set role {role.label}")
                changed += 1
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{user}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR)
        self.message_user(request, f"Set role {role.label} on {changed} user(s).", messages.SUCCESS)

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
        self._set_role(request, queryset, Role.ADMIN)
