"""My account → Security: the member's second factors (issue 16), through the same
services as the admin's factor pages, so the audit rows, the notices and the lockout
counting are the same.

- an authenticator app: QR code (inline SVG, no style attribute: the strict CSP holds)
  and the key for typing, then the password and the app's first code; the ten recovery
  codes are shown once, on the answer to that POST (never stored, never cached);
- new recovery codes and removing the app or a passkey: the password and a current code;
- passkeys: listed; added by the browser (django-otp-webauthn's ceremony, `passkeys`)
  after the password (and a code) proved it is the owner.

Every password and code typed here is a login attempt (`users.services.factor_change`,
`user_login`): a wrong one counts toward MAX_LOGIN_ATTEMPTS and the one that spends it
locks the account, as at log-in.
"""

import time
from base64 import b32encode

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django_otp_webauthn.models import WebAuthnCredential

from mfa import passkeys as mfa_passkeys
from mfa import services as mfa
from mfa.errors import FactorError
from mfa.qr import key_for_humans, qr_svg
from users.models import User
from users.services import (
    AccountLocked,
    InvalidCredentials,
    SecondFactorInvalid,
    SecondFactorRequired,
    factor_change,
    user_login,
)

from ..forms_security import AppSetupForm, OwnerForm, PasskeyNameForm, PasswordAndCodeForm
from .account import member_required
from .auth import _data
from .login_steps import passkey_config

# When the password (and code) were proved for adding a passkey, and for how long the
# registration ceremony may follow.
PASSKEY_PROOF_KEY = "portal_passkey_proved_at"
PASSKEY_PROOF_SECONDS = 10 * 60
NEW_CODES_KEY = "portal_passkey_new_codes"
LOCKED_MESSAGE = (
    "Too many wrong passwords or codes: your account is locked and every session was ended. "
    "We emailed you how to get back in."
)


def _page(request, template, context, status=200):
    context = {"nav": "account", "section": "security", **context}
    return render(request, f"portal/account/{template}", context, status=status)


def _locked(request):
    logout(request)
    messages.error(request, LOCKED_MESSAGE)
    return redirect("portal:login")


def _refused(request, form, exc) -> bool:
    """A service's refusal on the form; True when it locked the account (the caller signs out)."""
    if isinstance(exc, AccountLocked):
        return True
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
    return User.objects.filter(pk=request.user.pk, is_locked=True).exists()


def _codes_page(request, codes, headline):
    """The ten recovery codes, on the answer to the POST that made them: shown this once."""
    return _page(request, "security_codes.html", {"codes": codes, "headline": headline})


@never_cache
@member_required
def overview(request):
    user = request.user
    context = {
        "totp": mfa.totp_device(user),
        "codes_left": mfa.recovery_codes_left(user),
        "passkeys": mfa_passkeys.user_passkeys(user),
    }
    context["has_factor"] = bool(context["totp"] or context["passkeys"])
    return _page(request, "security.html", context)


@never_cache
@member_required
def app_setup(request):
    """Turn on an authenticator app."""
    user = request.user
    if mfa.totp_device(user) is not None:
        messages.info(request, "Your authenticator app is already on.")
        return redirect("portal:account-security")
    device = mfa.totp_pending(user=user)
    form = AppSetupForm(_data(request), needs_current=mfa.user_has_factor(user))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                device, codes = factor_change(
                    mfa.totp_confirm,
                    user=user,
                    password=data["password"],
                    code=data["code"],
                    current_code=data.get("current_code", ""),
                )
            except (FactorError, AccountLocked) as exc:
                if _refused(request, form, exc):
                    return _locked(request)
            else:
                headline = "Your authenticator app is on: from now on you log in with your password and a code."
                return _codes_page(request, codes, headline)
    context = {
        "form": form,
        "qr": qr_svg(device.config_url),
        "key": key_for_humans(b32encode(device.bin_key).decode()),
    }
    return _page(request, "security_app.html", context, status=status)


def _confirm_page(request, *, action, title, intro, button, save, extra=None):
    """A page that asks the password and a current code, then runs `save(data)`."""
    form = PasswordAndCodeForm(_data(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                return save(form.cleaned_data)
            except (FactorError, AccountLocked) as exc:
                if _refused(request, form, exc):
                    return _locked(request)
    context = {"form": form, "action": action, "title": title, "intro": intro, "button": button, **(extra or {})}
    return _page(request, "security_confirm.html", context, status=status)


def _after_removal(user) -> str:
    if mfa.user_has_factor(user):
        return "You still log in with your password and your other second factor."
    return "You have no second factor left: you log in with your password alone, and your recovery codes were deleted."


@never_cache
@member_required
def app_remove(request):
    user = request.user
    if mfa.totp_device(user) is None:
        return redirect("portal:account-security")
    passkeys = mfa_passkeys.has_passkey(user)

    def save(data):
        factor_change(mfa.totp_remove, user=user, password=data["password"], code=data["code"])
        messages.success(request, f"The authenticator app was removed. {_after_removal(user)}")
        return redirect("portal:account-security")

    intro = (
        "You will still log in with your passkey after your password; your recovery codes keep working."
        if passkeys
        else "This is your only second factor: afterwards you log in with your password alone, "
        "and your recovery codes stop working."
    )
    return _confirm_page(
        request,
        action=reverse("portal:account-security-app-remove"),
        title="Turn off the authenticator app",
        intro=intro,
        button="Turn off the app",
        save=save,
    )


@never_cache
@member_required
def codes_regenerate(request):
    user = request.user
    if not mfa.user_has_factor(user):
        return redirect("portal:account-security")

    def save(data):
        codes = factor_change(mfa.recovery_codes_regenerate, user=user, password=data["password"], code=data["code"])
        return _codes_page(request, codes, "New recovery codes: the old ones no longer work.")

    return _confirm_page(
        request,
        action=reverse("portal:account-security-codes"),
        title="New recovery codes",
        intro="Ten new codes replace the old ones, which stop working at once.",
        button="Make new recovery codes",
        save=save,
    )


@never_cache
@member_required
def passkey_remove(request, device_id):
    user = request.user
    device = get_object_or_404(WebAuthnCredential, user=user, pk=device_id, confirmed=True)

    def save(data):
        factor_change(
            mfa_passkeys.passkey_remove, user=user, password=data["password"], code=data["code"], device_id=device.pk
        )
        messages.success(request, f"The passkey “{device.name or 'Passkey'}” was removed. {_after_removal(user)}")
        return redirect("portal:account-security")

    others = (
        mfa.totp_device(user) is not None
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).exists()
    )
    intro = (
        "You keep your other second factor."
        if others
        else "This is your only second factor: afterwards you log in with your password alone, "
        "and your recovery codes stop working. The code below is one of your recovery codes."
    )
    return _confirm_page(
        request,
        action=reverse("portal:account-security-passkey-remove", args=[device.pk]),
        title=f"Remove the passkey “{device.name or 'Passkey'}”",
        intro=intro,
        button="Remove the passkey",
        save=save,
    )


@never_cache
@member_required
def passkey_rename(request, device_id):
    """A passkey's name, to tell them apart (a label: no password asked)."""
    device = get_object_or_404(WebAuthnCredential, user=request.user, pk=device_id, confirmed=True)
    form = PasskeyNameForm(_data(request), initial={"name": device.name})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                mfa_passkeys.passkey_rename(user=request.user, device_id=device.pk, name=form.cleaned_data["name"])
            except FactorError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "The passkey's name is saved.")
                return redirect("portal:account-security")
    return _page(request, "security_rename.html", {"form": form, "device": device}, status=status)


def passkey_proof_is_fresh(request) -> bool:
    proved = request.session.get(PASSKEY_PROOF_KEY)
    return proved is not None and time.time() - proved < PASSKEY_PROOF_SECONDS


@never_cache
@member_required
def passkey_add(request):
    """First the password (and a code, for a member with a factor), counted as a login
    attempt; then the page with the button that starts the browser's ceremony."""
    user = request.user
    needs_code = mfa.user_has_factor(user)
    form = OwnerForm(_data(request), needs_code=needs_code)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user_login(email=user.email, password=form.cleaned_data["password"], otp=form.cleaned_data.get("code"))
            except AccountLocked:
                return _locked(request)
            except SecondFactorInvalid:
                form.add_error("code", "The code is not correct (or was already used).")
            except SecondFactorRequired:
                form.add_error("code", "Enter a code from your authenticator app, or a recovery code.")
            except InvalidCredentials:
                form.add_error("password", "The password is not correct.")
            else:
                request.session[PASSKEY_PROOF_KEY] = int(time.time())
                return redirect("portal:account-security-passkey-add")
            if User.objects.filter(pk=user.pk, is_locked=True).exists():
                return _locked(request)
    ready = status == 200 and passkey_proof_is_fresh(request)
    context = {"form": form, "ready": ready, "config": passkey_config(request) if ready else None}
    return _page(request, "security_passkey_add.html", context, status=status)


@never_cache
@member_required
def passkey_added(request):
    """After the ceremony registered a passkey: its recovery codes when it is the first factor."""
    codes = request.session.pop(NEW_CODES_KEY, [])
    return _codes_page(request, codes, "Your passkey is added: after your password, you can log in with it.")
