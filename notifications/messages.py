"""Rendering of each kind of email, at delivery time."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from users.tokens import email_verification_token

from .models import EmailKind


def verification_url(user) -> str:
    token = email_verification_token.make_token(user)
    return f"{settings.SERVER_BASE_URL}/verify-email/{user.pk}/{token}"


def _verify_email_context(user) -> dict:
    return {"user": user, "verification_url": verification_url(user)}


TEMPLATES = {
    EmailKind.VERIFY_EMAIL: ("users/emails/verify_email", _verify_email_context),
}


def build_message(email) -> EmailMultiAlternatives:
    """The multipart (text + HTML) message for an OutgoingEmail row."""
    template, make_context = TEMPLATES[email.kind]
    context = make_context(email.user)
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=[email.to_address],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
