from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from . import account_admin, services
from .account_admin import StaffSetPasswordForm
from .forms import StaffLoginForm
from .models import Role, User
from .selectors import UserCountPaginator

# Permissions come from the role (users.backends); groups would mean nothing here.
admin.site.unregister(Group)
admin.site.login_form = StaffLoginForm
# The app list on the left would leave the user list too little of a 1366-px screen.
admin.site.enable_nav_sidebar = False

# What an action or an edit may change, in the order History lists it.
TRACKED_FIELDS = ("role", "email_verified", "is_locked", "failed_login_attempts", "is_professional")
SHORT_ROLE_LABELS = {Role.ANONYMOUS.label: "Anonymous"}


def plural(count, noun="user"):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in (None, ""):
        return "(empty)"
    return Truncator(str(value)).chars(60)


def describe_changes(before: dict, after) -> str:
    """`Role: AUTHENTICATED → MANAGER; Locked: no → yes`: one part per field that changed."""
    parts = []
    for name, old in before.items():
        new = getattr(after, name)
        if old != new:
            label = str(User._meta.get_field(name).verbose_name)
            parts.append(f"{label[:1].upper()}{label[1:]}: {_value(old)} → {_value(new)}")
    return "; ".join(parts)


def short_role(label) -> str:
    label = str(label)
    for long, short in SHORT_ROLE_LABELS.items():
        label = label.replace(long, short)
    return label


class RoleListFilter(admin.ChoicesFieldListFilter):
    """The role filter, with labels short enough for the sidebar."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": short_role(choice["display"])}


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
    list_display = ("email", "nickname_cut", "role_short", "verified", "locked", "professional", "last_login", "joined")
    list_filter = (
        ("role", RoleListFilter),
        "email_verified",
        "is_locked",
        "is_professional",
        "created_at",
    )
    search_fields = ("email", "nickname", "first_name", "last_name")
    ordering = ("-created_at",)
    # No date_hierarchy: its year links are a SELECT DISTINCT over the whole
    # table (212 ms at 1,000,000 users); the `created_at` filter's links
    # (today, past 7 days, this month, this year) cost nothing to draw.
    paginator = UserCountPaginator
    list_per_page = 50
    list_max_show_all = 500
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
        "pending_email",
        "locked_at",
        "closed_at",
        "audit_trail",
    )
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("nickname", "first_name", "last_name", "bio")}),
        ("Links", {"fields": ("profile_picture_url", "linkedin_profile_url", "github_profile_url", "resume_url")}),
        (
            "Role and status",
            {"fields": ("role", "email_verified", "is_professional", "professional_status_updated_at")},
        ),
        ("Security", {"fields": ("is_locked", "locked_at", "failed_login_attempts", "last_login_at", "pending_email")}),
        ("Timestamps", {"fields": ("created_at", "updated_at", "closed_at")}),
        ("Audit trail", {"fields": ("audit_trail",)}),
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
        "end_sessions",
        "export_csv",
    )
    change_password_form = StaffSetPasswordForm

    # --- compact columns (the list fits a 1366-px screen) -----------------------

    class Media:
        css = {"all": ["users/admin.css"]}

    @admin.display(description="Nickname", ordering="nickname")
    def nickname_cut(self, user):
        return format_html('<span title="{}">{}</span>', user.nickname, user.nickname)

    @admin.display(description="Role", ordering="role")
    def role_short(self, user):
        return short_role(user.get_role_display())

    @admin.display(description="Verified", boolean=True, ordering="email_verified")
    def verified(self, user):
        return user.email_verified

    @admin.display(description="Locked", boolean=True, ordering="is_locked")
    def locked(self, user):
        return user.is_locked

    @admin.display(description="Pro", boolean=True, ordering="is_professional")
    def professional(self, user):
        return user.is_professional

    @admin.display(description="Last login", ordering="last_login_at", empty_value="never")
    def last_login(self, user):
        return user.last_login_at and timezone.localtime(user.last_login_at).strftime("%Y-%m-%d")

    @admin.display(description="Joined", ordering="created_at")
    def joined(self, user):
        return timezone.localtime(user.created_at).strftime("%Y-%m-%d")

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

    # --- a refusal is an admin page that says why, not a bare 403 ------------

    def forbidden(self, request, reason):
        context = {
            **self.admin_site.each_context(request),
            "title": "Not allowed",
            "reason": reason,
            "opts": self.opts,
            "back_url": reverse("admin:users_user_changelist"),
        }
        return TemplateResponse(request, "admin/users/user/forbidden.html", context, status=403)

    def _refusal(self, request, view, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            if not self.has_view_or_change_permission(request):
                raise  # not staff for users at all: Django's own answer
            reason = str(exc) or "Managers cannot change, delete or set the password of an admin account."
            return self.forbidden(request, reason)

    def changeform_view(self, request, *args, **kwargs):
        return self._refusal(request, super().changeform_view, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refusal(request, super().delete_view, *args, **kwargs)

    def user_change_password(self, request, *args, **kwargs):
        with account_admin.acting(request.user):
            return self._refusal(request, super().user_change_password, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._refusal(request, super().changelist_view, *args, **kwargs)

    # --- saving and History ----------------------------------------------------

    def save_model(self, request, obj, form, change):
        """Through the services: an edit writes only the changed columns (never
        undoing a concurrent lock) and follows the same role rules as the API."""
        if not change:
            services.user_add(user=obj)
        elif form.changed_data:
            services.user_update(
                actor=request.user, user=obj, data={name: form.cleaned_data[name] for name in form.changed_data}
            )

    def construct_change_message(self, request, form, formsets, add=False):
        """History says what an edit changed: `First name: Ann → Anna; Role: AUTHENTICATED → MANAGER`."""
        if add or not isinstance(form, UserEditForm):
            return super().construct_change_message(request, form, formsets, add)
        before = {name: form.initial.get(name) for name in form.changed_data}
        return describe_changes(before, form.instance)

    def log_change(self, request, obj, message):
        if not message:
            return None  # nothing changed: nothing to record
        return super().log_change(request, obj, message)

    def delete_queryset(self, request, queryset):
        """One by one through `user_delete`, so each deletion is audited."""
        for user in self._manageable(request, queryset).exclude(pk=request.user.pk):
            services.user_delete(actor=request.user, user=user)

    def delete_model(self, request, obj):
        services.user_delete(actor=request.user, user=obj)

    # --- the audit trail on each user's page ------------------------------------

    @admin.display(description="Latest changes")
    def audit_trail(self, user):
        return account_admin.audit_trail(user)

    # --- actions -------------------------------------------------------------

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
        """Asks first: an ADMIN can do everything, including making more admins."""
        if request.POST.get("confirm") != "yes":
            return account_admin.confirm_admin_role(self, request, queryset)
        self._set_role(request, queryset, Role.ADMIN)

    @admin.action(description="Log out everywhere (end every session)", permissions=["change"])
    def end_sessions(self, request, queryset):
        users = list(self._manageable(request, queryset))
        for user in users:
            account_admin.end_sessions(actor=request.user, user=user)
        self.message_user(request, f"Ended every session of {plural(len(users))}.", messages.SUCCESS)

    @admin.action(description="Export selected users to CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """Streams the selection ("Select all" takes the whole filtered list) as CSV."""
        return account_admin.export_csv(queryset)
