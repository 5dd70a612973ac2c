"""The member log-in's steps: the password, then (for an account with a passkey) the
passkey or a code on a second page. Between the two the session remembers, for five
minutes, whose password was right; it is not signed in meanwhile."""

import time

from django.contrib.auth import login
from django.middleware import csrf
from django.urls import reverse

from users.devices import browser_sign_in
from users.models import User

BACKEND = "users.backends.AccountBackend"
PENDING_USER_KEY = "portal_passkey_user"
PENDING_AT_KEY = "portal_passkey_since"
PENDING_VERSION_KEY = "portal_passkey_version"
PENDING_SECONDS = 5 * 60


def remember_pending(request, user) -> None:
    """The password was right; the passkey (or a code) is still owed."""
    request.session[PENDING_USER_KEY] = str(user.pk)
    request.session[PENDING_AT_KEY] = int(time.time())
    request.session[PENDING_VERSION_KEY] = user.token_version


def pending_user(request):
    """The account whose password this visitor gave in the last five minutes, or None
    (also when it was locked or its sessions were ended since)."""
    user_id, since = request.session.get(PENDING_USER_KEY), request.session.get(PENDING_AT_KEY)
    if user_id is None or since is None or time.time() - since > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=user_id, is_locked=False, closed_at__isnull=True).first()
    if user is None or user.token_version != request.session.get(PENDING_VERSION_KEY):
        return None
    return user


def forget_pending(request) -> None:
    for key in (PENDING_USER_KEY, PENDING_AT_KEY, PENDING_VERSION_KEY):
        request.session.pop(key, None)


def finish_login(request, user) -> None:
    """Sign the member in (a new session key), remembering the token_version as every
    member session does, and record the browser: a new one gets the new-device notice
    (users.devices; the caller puts the device cookie on its response)."""
    forget_pending(request)
    login(request, user, backend=BACKEND)
    request.session["portal_token_version"] = user.token_version
    browser_sign_in(request, user, how="the member pages")


def passkey_config(request) -> dict:
    """django-otp-webauthn's browser scripts' settings (a JSON data block in the page)."""
    return {
        "csrfToken": csrf.get_token(request),
        "nextFieldSelector": "input[name='next']",
        "autocompleteLoginFieldSelector": None,
        "beginRegistrationUrl": reverse("portal:passkey-register-begin"),
        "completeRegistrationUrl": reverse("portal:passkey-register-complete"),
        "beginAuthenticationUrl": reverse("portal:passkey-auth-begin"),
        "completeAuthenticationUrl": reverse("portal:passkey-auth-complete"),
    }
