"""`UserAdmin`: the primary tool to inspect and manage accounts. Saving goes through
the services, so an edit follows the same rules as the API; a refusal is an admin
page that says why. The bulk actions are in `actions`, the forms in `forms`."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from .. import services
from ..models import Role, User
from ..rules import can_delete, can_manage
from ..selectors import UserCountPaginator
from .actions import UserActionsMixin
from .audit_trail import audit_trail
from .forms import StaffSetPasswordForm, UserCreationForm, UserEditForm, acting
from .history import describe_changes
from .sudo import sudo_required

SHORT_ROLE_LABELS = {Role.ANONYMOUS.label: "Anonymous"}


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


class DirectoryListFilter(admin.BooleanFieldListFilter):
    """`show_in_directory`, titled for the sidebar."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "in the member directory"


@admin.register(User)
class UserAdmin(UserActionsMixin, BaseUserAdmin):
    """The primary tool to inspect and manage accounts."""

    add_form = UserCreationForm
    form = UserEditForm
    list_display = ("email", "nickname_cut", "role_short", "verified", "locked", "professional", "last_login", "joined")
    list_filter = (
        ("role", RoleListFilter),
        "email_verified",
        "is_locked",
        "is_professional",
        ("show_in_directory", DirectoryListFilter),
        "created_at",
    )
    search_fields = ("email", "nickname", "first_name", "last_name")
    ordering = ("-created_at",)
    # No date_hierarchy: its year links are a SELECT DISTINCT over the whole
    # table; the `created_at` filter's links (today, past 7 days, this month,
    # this year) cost nothing to draw.
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
        # The member's own settings (PATCH /users/me, the account pages): shown, never set by
        # staff; the directory is an opt-in only the member gives.
        "time_zone",
        "show_in_directory",
    )
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("nickname", "first_name", "last_name", "bio")}),
        ("Links", {"fields": ("profile_picture_url", "linkedin_profile_url", "github_profile_url", "resume_url")}),
        ("Member's settings", {"fields": ("time_zone", "show_in_directory")}),
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

    @admin.display(description="Locked", ordering="is_locked", empty_value="")
    def locked(self, user):
        """A word where something is wrong, nothing where all is well (not a column of red ✖)."""
        if not user.is_locked:
            return ""
        return format_html('<span class="user-locked" title="{}">Locked</span>', "Logging in is refused")

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
        if obj is not None and not can_manage(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not can_delete(request.user, obj):
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

    def changeform_view(self, request, object_id=None, *args, **kwargs):
        if self._makes_admin(request, object_id):
            reauth = sudo_required(self, request, purpose="make this user an admin")
            if reauth is not None:
                return reauth
        return self._refusal(request, super().changeform_view, object_id, *args, **kwargs)

    def delete_view(self, request, object_id, *args, **kwargs):
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_delete_permission(request, obj):
            reauth = sudo_required(self, request, purpose="delete this user")
            if reauth is not None:
                return reauth
        return self._refusal(request, super().delete_view, object_id, *args, **kwargs)

    def _makes_admin(self, request, object_id) -> bool:
        """A form posted with the role ADMIN for a new user or one who is not one yet."""
        if request.method != "POST" or request.POST.get("role") != Role.ADMIN:
            return False
        return object_id is None or not User.objects.filter(pk=object_id, role=Role.ADMIN).exists()

    def user_change_password(self, request, *args, **kwargs):
        with acting(request.user):
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
        return audit_trail(user)
