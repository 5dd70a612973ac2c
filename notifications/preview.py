"""What the admin shows of an outgoing email: its kind's label, and the text that was sent.

Bodies are not stored: the preview renders the row again from its kind's templates and its
stored context, as delivery does, except that a kind's `render` hook is never called. Those
hooks make the links with tokens (verification, password reset, email change); a preview
showing a working reset link would hand staff the account. Such a link reads as a
placeholder instead, and the preview says so.
"""

from django.conf import settings
from django.template.loader import render_to_string

from .messages import DIGEST_KIND, GENERIC_TEMPLATE, in_app_fields, render_digest
from .registry import UnknownKind, get_kind

DIGEST_LABEL = "Daily digest"
WITHHELD = "[link withheld: made with a token at delivery]"


def kind_label(key: str) -> str:
    """`Registration confirmed` for `events.registration_confirmed`; an unknown key as it is."""
    if key == DIGEST_KIND:
        return DIGEST_LABEL
    try:
        return get_kind(key).label
    except UnknownKind:
        return key


# The names each token-making hook adds (users/notices.py); any other hook's names are withheld too.
HOOK_NAMES = ("link", "verification_url", "url", "token")


def email_preview(email) -> tuple[str, str, bool]:
    """(subject, text body, whether a token link was withheld) of an OutgoingEmail row."""
    if email.kind == DIGEST_KIND:
        subject, text, _ = render_digest(email, unsubscribe_link=WITHHELD)
        return subject, text, True
    kind = get_kind(email.kind)
    context = {**email.context, "recipient": email.user, "kind": kind, "server_base_url": settings.SERVER_BASE_URL}
    context.update(in_app_fields(kind, context))
    withheld = kind.render is not None
    if withheld:
        context.update(dict.fromkeys(HOOK_NAMES, WITHHELD), user=email.user)
    template = kind.template or GENERIC_TEMPLATE
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    return subject, render_to_string(f"{template}.txt", context), withheld
