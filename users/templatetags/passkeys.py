"""`{% passkey_register %}` (the factor page's passkey section) and `{% passkey_verify %}`
(the second step's passkey button): markup for django-otp-webauthn's static scripts, and
their configuration as a JSON data block (the CSP runs no inline script)."""

from django import template
from django.middleware import csrf
from django.urls import reverse

from mfa import passkeys as mfa_passkeys

from ..staff_session import is_recent

register = template.Library()


def _config(request) -> dict:
    return {
        "csrfToken": csrf.get_token(request),
        "nextFieldSelector": "input[name='next']",
        "autocompleteLoginFieldSelector": None,
        "beginRegistrationUrl": reverse("admin:passkey_register_begin"),
        "completeRegistrationUrl": reverse("admin:passkey_register_complete"),
        "beginAuthenticationUrl": reverse("admin:passkey_auth_begin"),
        "completeAuthenticationUrl": reverse("admin:passkey_auth_complete"),
    }


@register.inclusion_tag("users/passkeys/register.html", takes_context=True)
def passkey_register(context):
    request = context["request"]
    return {
        "config": _config(request),
        "passkeys": mfa_passkeys.user_passkeys(request.user),
        "recent": is_recent(request),
    }


@register.inclusion_tag("users/passkeys/verify.html", takes_context=True)
def passkey_verify(context):
    return {"config": _config(context["request"])}
