"""Rendering: in-app text when a notification is created, email at delivery time."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import engines
from django.template.loader import render_to_string

from .registry import Kind, Text, get_kind
from .unsubscribe import list_unsubscribe_headers, unsubscribe_headers, unsubscribe_url

GENERIC_TEMPLATE = "notifications/emails/generic"
DIGEST_TEMPLATE = "notifications/emails/digest"


def render_text(text: Text, context: dict, default: str = "") -> str:
    """A kind's title, body or link: a template string or a callable, rendered with `context`."""
    if callable(text):
        return str(text(context))
    if not text:
        return default
    # Plain text (stored, sent as JSON, escaped by whatever displays it): no HTML escaping here.
    return engines["django"].from_string(f"{{% autoescape off %}}{text}{{% endautoescape %}}").render(context).strip()


def absolute_url(link: str) -> str:
    if link.startswith("/"):
        return f"{settings.SERVER_BASE_URL}{link}"
    return link


def in_app_fields(kind: Kind, context: dict) -> dict:
    """title, body and link of a Notification row for `kind`."""
    return {
        "title": render_text(kind.title, context, default=kind.label)[:200],
        "body": render_text(kind.body, context),
        "link": absolute_url(render_text(kind.link, context))[:500],
    }


def email_context(email, kind: Kind) -> dict:
    """The stored context, the recipient and the kind's delivery-time additions."""
    context = {**email.context, "recipient": email.user, "kind": kind, "server_base_url": settings.SERVER_BASE_URL}
    context.update(in_app_fields(kind, context))
    if kind.render is not None:
        context.update(kind.render(email))
    return context


def render_parts(email, kind: Kind) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of one email."""
    context = email_context(email, kind)
    template = kind.template or GENERIC_TEMPLATE
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    return subject, render_to_string(f"{template}.txt", context), render_to_string(f"{template}.html", context)


def message_id(email) -> str:
    """The same `Message-ID` at every attempt, so a receiving system can drop a repeat."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<{email.pk}@{domain}>"


def build_message(email) -> EmailMultiAlternatives:
    """The multipart (text + HTML) message for an OutgoingEmail row, with its stable Message-ID."""
    headers = {"Message-ID": message_id(email)}
    if email.kind == DIGEST_KIND:
        subject, text, html = render_digest(email)
        attachments = []
        headers.update(list_unsubscribe_headers(user_id=email.user_id, key=DIGEST_KIND))
    else:
        kind = get_kind(email.kind)
        subject, text, html = render_parts(email, kind)
        attachments = kind.attachments(email) if kind.attachments else []
        headers.update(unsubscribe_headers(user_id=email.user_id, kind=kind))
    message = EmailMultiAlternatives(subject=subject, body=text, to=[email.to_address], headers=headers)
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


DIGEST_KIND = "notifications.digest"


def render_digest(email, *, unsubscribe_link: str | None = None) -> tuple[str, str, str]:
    """One email listing every held item by its title, details and link, and the digest's own
    unsubscribe link (`unsubscribe_link` replaces it: the admin's preview shows no token)."""
    items = []
    for item in email.items.order_by("created_at"):
        fields = in_app_fields(get_kind(item.kind), {**item.context, "recipient": email.user})
        items.append({**fields, "created_at": item.created_at})
    context = {
        "recipient": email.user,
        "items": items,
        "server_base_url": settings.SERVER_BASE_URL,
        "unsubscribe_url": unsubscribe_link or unsubscribe_url(user_id=email.user_id, kind=DIGEST_KIND),
    }
    subject = " ".join(render_to_string(f"{DIGEST_TEMPLATE}_subject.txt", context).split())
    return (
        subject,
        render_to_string(f"{DIGEST_TEMPLATE}.txt", context),
        render_to_string(f"{DIGEST_TEMPLATE}.html", context),
    )
