"""Admin pieces of the account features: the audit section of a user's page, the
confirmation before making someone ADMIN, ending sessions, CSV export, the
password form that ends sessions. Kept out of admin.py, which `UserAdmin` wires."""

import contextlib
import contextvars
import csv

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from audit.admin import describe

from .services import account_set_password_by_staff, session_end_all_by_staff

AUDIT_ROWS_ON_PAGE = 20
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


def audit_trail(user) -> str:
    """The latest audit rows about `user`, and a link to all of them."""
    if user is None or user.pk is None:
        return "—"
    events = list(user.audit_events.order_by("-created_at", "-id")[:AUDIT_ROWS_ON_PAGE])
    link = reverse("admin:audit_auditevent_changelist") + f"?target_user__id__exact={user.pk}"
    if not events:
        return format_html('No changes recorded yet. <a href="{}">Audit trail</a>', link)
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
                event.action,
                event.actor_repr or "system",
                describe(event),
            )
            for event in events
        ),
    )
    return format_html(
        '<table class="audit-trail"><thead><tr><th>When</th><th>Action</th><th>By</th><th>Changes</th></tr>'
        '</thead><tbody>{}</tbody></table><p><a href="{}">Whole audit trail of this user</a></p>',
        rows,
        link,
    )


def confirm_admin_role(model_admin, request, queryset):
    """An intermediate page, like Django's delete confirmation: who would become ADMIN."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Make these users admins?",
        "opts": model_admin.opts,
        "users": list(queryset[:100]),
        "count": queryset.count(),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/users/user/confirm_admin_role.html", context)


def end_sessions(*, actor, user) -> None:
    session_end_all_by_staff(actor=actor, user=user)


class _Echo:
    def write(self, value):
        return value


def export_csv(queryset) -> StreamingHttpResponse:
    """Streamed in chunks: the whole filtered list of a million users never sits in memory."""
    writer = csv.writer(_Echo())
    rows = queryset.order_by("created_at", "id").values_list(*CSV_COLUMNS).iterator(chunk_size=2000)

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for row in rows:
            yield writer.writerow(["" if value is None else value for value in row])

    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="users-{stamp}.csv"'
    return response


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
