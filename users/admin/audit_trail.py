"""The audit section of a user's admin page: the latest rows about them, and a link to all."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from audit.admin import describe

AUDIT_ROWS_ON_PAGE = 20


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
