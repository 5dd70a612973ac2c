"""Joining and signing in: sign up, "check your email", the verification link's page,
a new link, log in and out, a forgotten password, and one-click unsubscribe.

Every view calls the same users and notifications services as the API, so lockout,
verification, notices and audit behave exactly as they do there.
"""

import time
import uuid
from functools import wraps

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from mfa.passkeys import has_passkey
from notifications.messages import DIGEST_KIND
from notifications.preferences import preferences_update
from notifications.registry import UnknownKind, get_kind
from notifications.services import digest_plan, digest_unsubscribe
from notifications.unsubscribe import read_unsubscribe_token
from users.admin.password_reset import ResetSetPasswordForm
from users.devices import set_device_cookie
from users.models import User
from users.services import (
    AccountLocked,
    EmailNotVerified,
    InvalidCredentials,
    InvalidVerificationToken,
    SecondFactorInvalid,
    SecondFactorRequired,
    password_reset_request,
    user_login,
    user_login_first_step,
    user_login_second_step,
    user_register,
    user_verify_email,
    verification_resend,
)

from ..csp import strict_csp
from ..forms import DescribedFieldsMixin
from ..forms_account import EmailForm, LoginForm, SignupForm, password_rules
from ..forms_security import SecondStepForm
from ..throttle import throttled
from .login_steps import finish_login, forget_pending, passkey_config, pending_user, remember_pending

SIGNUP_EMAIL_KEY = "portal_signup_email"


def _data(request):
    """The POST data of a POST (even an empty one, so it is validated), else None (an unbound form)."""
    return request.POST if request.method == "POST" else None


def add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: each message under its field, the rest on top."""
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _answer_no_sooner(started: float) -> None:
    """As the API: an answer about an address takes ACCOUNT_LOOKUP_MIN_SECONDS whatever the address."""
    remaining = settings.ACCOUNT_LOOKUP_MIN_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Sign up and the verification link ------------------------------------------


@throttled
def signup(request):
    """Sign up: email, password (its rules shown as a hint), optional nickname and time zone."""
    if request.user.is_authenticated:
        return redirect("portal:account")
    form = SignupForm(_data(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            profile = {"email": form.cleaned_data["email"]}
            for name in ("nickname", "time_zone"):
                if form.cleaned_data[name]:
                    profile[name] = form.cleaned_data[name]
            try:
                user = user_register(password=form.cleaned_data["password"], **profile)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                request.session[SIGNUP_EMAIL_KEY] = user.email
                return redirect("portal:signup-done")
    context = {"form": form, "nav": "signup"}
    return render(request, "portal/auth/signup.html", context, status=status)


def signup_done(request):
    """ "Check your email": where the link went, and how to get another."""
    return render(request, "portal/auth/signup_done.html", {"email": request.session.get(SIGNUP_EMAIL_KEY, "")})


VERIFY_STATUS = {"ok": 200, "used": 200, "expired": 400, "invalid": 400, "taken": 409}


@throttled(methods=("GET", "POST"))  # using the link verifies: the API throttles its GET too
def verify_email_page(request, user_id, token):
    """The emailed verification link in a browser: verified, already verified (both 200),
    or a broken or expired link with a form for a new one."""
    try:
        user_uuid = uuid.UUID(user_id)
    except ValueError:
        outcome = "invalid"
    else:
        try:
            user_verify_email(user_id=user_uuid, token=token)
            outcome = "ok"
        except InvalidVerificationToken as exc:
            outcome = exc.reason
        except ValidationError:  # the new address of an email change was taken meanwhile
            outcome = "taken"
    context = {"outcome": outcome, "form": EmailForm(), "nav": ""}
    return render(request, "portal/auth/verify_email.html", context, status=VERIFY_STATUS[outcome])


verify_email_page = strict_csp(verify_email_page)


def wants_html(request) -> bool:
    """A browser (Accept: text/html before any JSON) gets a page; API clients keep JSON."""
    accept = request.META.get("HTTP_ACCEPT", "")
    html, json = accept.find("text/html"), accept.find("application/json")
    return html != -1 and (json == -1 or html < json)


def browser_or_api(page, api):
    """One URL, two audiences: `page` for a browser, `api` (the API's view) for everyone else."""

    @wraps(api)  # keeps what the schema generator reads off the API view (cls, initkwargs)
    def view(request, *args, **kwargs):
        return page(request, *args, **kwargs) if wants_html(request) else api(request, *args, **kwargs)

    api_async = getattr(api, "async_variant", None)
    if api_async is not None:  # what the project's ASGI handler calls (core.api)

        async def async_view(request, *args, **kwargs):
            if wants_html(request):
                return await sync_to_async(page)(request, *args, **kwargs)
            return await api_async(request, *args, **kwargs)

        view.async_variant = async_view
    return view


@throttled
def verification_resend_page(request):
    """A new verification link: the same answer whatever the address."""
    form = EmailForm(_data(request))
    if request.method == "POST":
        if form.is_valid():
            started = time.monotonic()
            verification_resend(email=form.cleaned_data["email"])
            _answer_no_sooner(started)
            messages.success(
                request,
                "If that address belongs to an account waiting for verification, a new link is on its way. "
                "It works once.",
            )
            return redirect("portal:login")
        return render(request, "portal/auth/resend.html", {"form": form}, status=400)
    return render(request, "portal/auth/resend.html", {"form": form})


# --- Log in and out --------------------------------------------------------------


@throttled
def login_page(request):
    """Log in with the users service (lockout, verification, audit), then a Django session."""
    next_url = safe_next(request, reverse("portal:home"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = LoginForm(_data(request))
    status, unverified, locked = 200, False, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = _password_step(request, form.cleaned_data)
            except EmailNotVerified:
                unverified, status = True, 403
                form.add_error(
                    None,
                    "Your email address is not verified yet. Open the link we emailed you, or ask for a new one below.",
                )
            except SecondFactorInvalid:
                form.add_error("otp", "The one-time code is not correct, or was already used.")
                status = 401
            except SecondFactorRequired:
                form.add_error("otp", "Enter the one-time code from your authenticator app, or a recovery code.")
                status = 401
            except InvalidCredentials as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            except AccountLocked as exc:
                locked, status = True, 423
                form.add_error(None, exc.message)
            else:
                if user is None:  # the password was right; the passkey (or a code) is owed
                    return redirect(f"{reverse('portal:login-second-step')}?{urlencode({'next': next_url})}")
                finish_login(request, user)
                response = redirect(next_url)
                set_device_cookie(request, response)
                return response
    context = {
        "form": form,
        "resend_form": EmailForm(initial={"email": request.POST.get("email", "")}, auto_id="resend_%s"),
        "next": next_url,
        "unverified": unverified,
        "locked": locked,
        "lockout_minutes": settings.LOCKOUT_COOLOFF_MINUTES,
        "nav": "login",
    }
    return render(request, "portal/auth/login.html", context, status=status)


def _password_step(request, data):
    """The log-in form's check: with a code, the password and the code in one attempt
    (`user_login`); without one, the password (`user_login_first_step`), and an account
    with a passkey goes on to the second step's page (None: the session remembers it).
    An account with only an authenticator app is asked for the code on this form."""
    if data["otp"]:
        return user_login(email=data["email"], password=data["password"], otp=data["otp"])
    user, code_owed = user_login_first_step(email=data["email"], password=data["password"])
    if not code_owed:
        return user
    if has_passkey(user):
        remember_pending(request, user)
        return None
    raise SecondFactorRequired()


@throttled
def login_second_step(request):
    """For an account with a passkey, after its password: the passkey (JavaScript), or a
    code from the authenticator app or a recovery code (an ordinary form), counted toward
    the lockout as at log-in."""
    user = pending_user(request)
    next_url = safe_next(request, reverse("portal:home"))
    if user is None:
        messages.info(request, "Please log in again: the second step waits five minutes at most.")
        return redirect(f"{reverse('portal:login')}?{urlencode({'next': next_url})}")
    form = SecondStepForm(_data(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user_login_second_step(user=user, code=form.cleaned_data["code"])
            except AccountLocked as exc:
                forget_pending(request)
                messages.error(request, exc.message)
                return redirect("portal:login")
            except SecondFactorInvalid:
                form.add_error("code", "The code is not correct, or was already used.")
                status = 401
            else:
                finish_login(request, user)
                response = redirect(next_url)
                set_device_cookie(request, response)
                return response
    context = {"form": form, "next": next_url, "nav": "login", "config": passkey_config(request)}
    return render(request, "portal/auth/login_second_step.html", context, status=status)


login_second_step = never_cache(login_second_step)


@require_POST
def logout_page(request):
    logout(request)
    messages.success(request, "You are logged out.")
    return redirect("portal:home")


# --- A forgotten password ------------------------------------------------------------


@throttled
def password_forgot(request):
    form = EmailForm(_data(request))
    if request.method == "POST":
        if form.is_valid():
            started = time.monotonic()
            password_reset_request(email=form.cleaned_data["email"])
            _answer_no_sooner(started)
            return redirect("portal:password-forgot-sent")
        return render(request, "portal/auth/password_forgot.html", {"form": form}, status=400)
    return render(request, "portal/auth/password_forgot.html", {"form": form})


def password_forgot_sent(request):
    return render(request, "portal/auth/password_forgot_sent.html")


class PortalResetForm(DescribedFieldsMixin, ResetSetPasswordForm):
    """Django's two-field reset form, finished by the users service (unlock, end sessions)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs.pop("autofocus", None)
            self.fields[name].strip = False
        self.fields["new_password1"].help_text = password_rules()
        self.fields["new_password1"].widget.attrs["aria-describedby"] = f"{self['new_password1'].auto_id}_hint"


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed /reset/<uid>/<token>/ link, styled as the portal; it ends at the member login
    (staff find the admin's login beside it)."""

    form_class = PortalResetForm
    template_name = "portal/auth/reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


reset_confirm = strict_csp(throttled(ResetConfirmView.as_view()))


def reset_complete(request):
    return render(request, "portal/auth/reset_complete.html")


reset_complete = strict_csp(reset_complete)


# --- One-click unsubscribe (RFC 8058) --------------------------------------------


def _unsubscribe_target(token):
    """(user, kind) of a signed unsubscribe token — kind None for the daily digest's — or None."""
    try:
        user_id, key = read_unsubscribe_token(token)
        kind = None if key == DIGEST_KIND else get_kind(key)
        user = User.objects.filter(pk=user_id, closed_at__isnull=True).first()
    except (signing.BadSignature, UnknownKind, ValueError, ValidationError):
        return None
    if user is None or (kind is not None and kind.mandatory):
        return None
    return user, kind


@require_http_methods(["GET", "POST"])
@csrf_exempt  # mail clients POST "List-Unsubscribe=One-Click" with no session; the signed token authorises
@throttled
def unsubscribe(request, token):
    """GET: a page with a button (link scanners GET); POST: that kind's email turned off — or, from the
    daily digest, no more digest (`digest_unsubscribe`) — no login needed."""
    target = _unsubscribe_target(token)
    if target is None:
        return render(request, "portal/auth/unsubscribe.html", {"invalid": True}, status=400)
    user, kind = target
    done = request.method == "POST"
    context = {"kind": kind, "done": done, "email": user.email}
    if kind is None:
        context["digest"] = (digest_unsubscribe if done else digest_plan)(user=user)
    elif done:
        preferences_update(user=user, changes=[{"kind": kind.key, "email": False}])
    return render(request, "portal/auth/unsubscribe.html", context)
