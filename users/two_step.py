"""The admin's two-step sign-in, enrolment and factor pages.

Pages of the admin site (`users.adminsite.StaffAdminSite`), kept outside users.admin, which
the site must not import while it is being made. Step one is Django's admin login
(`StaffLoginForm`: the password, through `services.user_login_first_step`). It logs the
session in, but `StaffAdminSite.has_permission` stays False until `state(request)` is
PASSED: the session passed its second step (django-otp's verified session, `complete`), or
the user has no factor and none is
required. Step two (`verify`) takes a code from the authenticator app or a recovery
code, counted toward the lockout by `services.user_login_second_step`, and throttled
per client address as API logins are.

A session remembers the user's `token_version` from its login: ending every session of a
user (`end_all_sessions`: a lock, a factor reset, "log out everywhere") ends it too.
"""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from core.throttling import auth_wait
from mfa import services as mfa
from mfa.errors import AlreadyEnrolled, InvalidCode, NotEnrolled, WrongPassword
from mfa.methods import methods_for
from mfa.qr import key_for_humans, qr_svg

from . import services
from .devices import browser_sign_in
from .forms import LOCKED
from .models import User

PASSED, CODE_OWED, ENROLMENT_OWED, SIGNED_OUT = "passed", "code", "enrolment", "signed_out"
VERSION_KEY = "two_step_token_version"
AMR_KEY = "two_step_amr"
_CACHE = "_two_step_state"
MFA_ERRORS = (WrongPassword, InvalidCode, AlreadyEnrolled, NotEnrolled)


def state(request) -> str:
    """Where the session stands; computed once per request (the admin asks often)."""
    cached = getattr(request, _CACHE, None)
    if cached is None:
        cached = _state(request)
        setattr(request, _CACHE, cached)
    return cached


def _state(request) -> str:
    user = request.user
    if not user.is_authenticated:
        return SIGNED_OUT
    version = request.session.get(VERSION_KEY)
    if version is not None and version != user.token_version:
        logout(request)
        return SIGNED_OUT
    if _verified(request):
        return PASSED
    if mfa.user_has_factor(user):
        return CODE_OWED
    if user.is_staff and settings.STAFF_MFA_REQUIRED:
        return ENROLMENT_OWED
    return PASSED


def _verified(request) -> bool:
    is_verified = getattr(request.user, "is_verified", None)  # django_otp.middleware.OTPMiddleware
    return bool(is_verified and is_verified())


def _forget(request) -> None:
    if hasattr(request, _CACHE):
        delattr(request, _CACHE)


def password_passed(request) -> None:
    """Step one passed (the admin login just logged the session in)."""
    request.session[VERSION_KEY] = request.user.token_version
    request.session[AMR_KEY] = ["pwd"]
    _forget(request)
    if state(request) == PASSED:  # the password was all it takes: signed in
        browser_sign_in(request, request.user)


def complete(request, device, *, counted: bool = True) -> None:
    """Step two passed with `device` (a django-otp device of request.user, already checked):
    the session is verified, under a new session key. A method that did not go through
    `services.user_login_second_step` (a passkey) passes `counted=False`, which gives back
    the attempt the password step left counted."""
    if not counted:
        services.user_login_completed(user=request.user)
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[AMR_KEY] = ["pwd", "otp"]
    request.user.is_verified = lambda: True
    _forget(request)
    browser_sign_in(request, request.user)


def owed_step(request):
    """A redirect to the step a signed-in staff session still owes, or None."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return None
    owed = state(request)
    if owed == CODE_OWED:
        return _to("admin:two_step_verify", request)
    if owed == ENROLMENT_OWED:
        return _to("admin:two_step_setup", request)
    return None


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _to(name: str, request):
    response = redirect(reverse(name))
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        response["Location"] += "?" + urlencode({"next": target})
    return response


def _signed_in_staff(request) -> bool:
    user = request.user
    return user.is_authenticated and user.is_active and user.is_staff


def _page(site, request, template, context, status=200):
    context = {**site.each_context(request), "next": _next(request), **context}
    return TemplateResponse(request, template, context, status=status)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
        help_text="6 digits from your authenticator app, or a recovery code (xxxxx-xxxxx).",
    )


class PasswordAndCodeForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput)
    code = forms.CharField(label="A current code or a recovery code", max_length=32)


class EnrolForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput)
    code = forms.CharField(
        label="The 6-digit code the app now shows",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, needs_current: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_current:
            self.fields["current_code"] = forms.CharField(
                label="A code from your current factor, or a recovery code", max_length=32
            )


def verify(site):
    """Step two: a code from the authenticator app or a recovery code."""

    @never_cache
    def view(request):
        if not _signed_in_staff(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        owed = state(request)
        if owed == PASSED:
            return redirect(_next(request))
        if owed == ENROLMENT_OWED:
            return _to("admin:two_step_setup", request)
        form = CodeForm(request.POST if request.method == "POST" else None)
        status = 200
        if form.is_valid():
            wait = auth_wait(request)
            if wait:
                form.add_error("code", f"Too many attempts from your address: try again in {wait} seconds.")
                status = 429
            else:
                try:
                    device = services.user_login_second_step(user=request.user, code=form.cleaned_data["code"])
                except services.AccountLocked:
                    logout(request)
                    messages.error(request, LOCKED)
                    return redirect(reverse("admin:login"))
                except services.SecondFactorInvalid as exc:
                    form.add_error("code", exc.message)
                    status = 400
                else:
                    complete(request, device)
                    return redirect(_next(request))
        context = {"form": form, "methods": methods_for(request.user), "title": "Two-step sign-in"}
        return _page(site, request, "admin/two_step/verify.html", context, status=status)

    return view


def setup(site):
    """Enrolment of an authenticator app: QR code and key, then the password and a first code."""

    @never_cache
    def view(request):
        if not _signed_in_staff(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if state(request) == CODE_OWED:
            return _to("admin:two_step_verify", request)
        user = request.user
        if mfa.totp_device(user) is not None:
            return redirect(reverse("admin:two_step_manage"))
        device = mfa.totp_pending(user=user)
        form = EnrolForm(request.POST if request.method == "POST" else None, needs_current=mfa.user_has_factor(user))
        status = 200
        if form.is_valid():
            try:
                device, codes = change_factors(
                    request,
                    mfa.totp_confirm,
                    password=form.cleaned_data["password"],
                    code=form.cleaned_data["code"],
                    current_code=form.cleaned_data.get("current_code", ""),
                )
            except SignedOut:
                return signed_out(request)
            except MFA_ERRORS as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 400
            else:
                complete(request, device)
                return _codes_page(site, request, codes, "Your authenticator app is set up.")
        elif request.method == "POST":
            status = 400
        secret = b32encode(device.bin_key).decode()
        context = {
            "form": form,
            "qr": qr_svg(device.config_url),
            "key": key_for_humans(secret),
            "required": settings.STAFF_MFA_REQUIRED and user.is_staff,
            "title": "Set up two-step sign-in",
        }
        return _page(site, request, "admin/two_step/setup.html", context, status=status)

    return view


class SignedOut(Exception):
    """The account was locked by this attempt (or already was): the session is over."""


def change_factors(request, change, **kwargs):
    """Run an mfa service that takes the password and a code for the signed-in user as a
    login attempt (`services.factor_change`): a wrong password or code counts toward the
    lockout. When the account is (or just got) locked the session ends: SignedOut."""
    try:
        return services.factor_change(change, user=request.user, **kwargs)
    except services.AccountLocked:
        raise SignedOut() from None
    except (WrongPassword, InvalidCode):
        if User.objects.filter(pk=request.user.pk, is_locked=True).exists():
            raise SignedOut() from None
        raise


def signed_out(request):
    logout(request)
    messages.error(request, LOCKED)
    return redirect(reverse("admin:login"))


def _codes_page(site, request, codes, headline):
    context = {"codes": codes, "headline": headline, "title": "Your recovery codes"}
    return _page(site, request, "admin/two_step/recovery_codes.html", context)


def manage(site):
    """The signed-in user's factors: remove the authenticator app, new recovery codes."""

    @never_cache
    def view(request):
        user = request.user
        forms_by_action = {
            "remove": PasswordAndCodeForm(prefix="remove"),
            "regenerate": PasswordAndCodeForm(prefix="regenerate"),
        }
        status = 200
        action = request.POST.get("action") if request.method == "POST" else None
        if action in forms_by_action:
            form = forms_by_action[action] = PasswordAndCodeForm(request.POST, prefix=action)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    change = mfa.totp_remove if action == "remove" else mfa.recovery_codes_regenerate
                    codes = change_factors(request, change, password=data["password"], code=data["code"])
                except SignedOut:
                    return signed_out(request)
                except MFA_ERRORS as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                    status = 400
                else:
                    if action == "regenerate":
                        return _codes_page(site, request, codes, "New recovery codes: the old ones no longer work.")
                    messages.success(request, "The authenticator app was removed.")
                    return redirect(reverse("admin:two_step_manage"))
            else:
                status = 400
        context = {
            "totp": mfa.totp_device(user),
            "factors": mfa.user_factors(user),
            "codes_left": mfa.recovery_codes_left(user),
            "remove_form": forms_by_action["remove"],
            "regenerate_form": forms_by_action["regenerate"],
            "title": "Two-step sign-in",
        }
        return _page(site, request, "admin/two_step/manage.html", context, status=status)

    return view


def reset(site):
    """An ADMIN resets another user's factors: a confirmation page, then the reset
    (audited, the user told by email, every session of theirs ended)."""

    @never_cache
    def view(request, user_id):
        if not request.user.is_admin:
            raise PermissionDenied("Only an ADMIN may reset another user's second factors.")
        target = get_object_or_404(User, pk=user_id)
        from .admin.sudo import sudo_required  # users.admin imports this module

        reauth = sudo_required(site, request, purpose=f"reset the second factors of {target.email}")
        if reauth is not None:  # sudo mode: the password (and code) again when the last check is old
            return reauth
        if request.method == "POST":
            removed = services.user_reset_factors(actor=request.user, user=target)
            messages.success(request, f"Second factors of {target.email} reset ({removed} removed); sessions ended.")
            return redirect(reverse("admin:users_user_change", args=[target.pk]))
        context = {"target": target, "factors": mfa.user_factors(target), "title": "Reset second factors"}
        return _page(site, request, "admin/two_step/reset.html", context)

    return view
