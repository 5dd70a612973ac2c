"""My account: profile, email, password, settings (time zone, directory), notification
preferences, log out everywhere, close the account — all through the users and
notifications services, each form an ordinary POST that redirects back with a message."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from notifications.preferences import preference_list, preferences_update
from users.models import OPTIONAL_PROFILE_FIELDS
from users.services import account_change_password, account_close, account_update, session_logout_all

from ..forms_account import (
    CloseAccountForm,
    EmailChangeForm,
    PasswordChangeForm,
    PreferencesForm,
    ProfileForm,
    SettingsForm,
)
from .auth import _data, add_errors

PROFILE = ("nickname", *OPTIONAL_PROFILE_FIELDS)


def member_required(view):
    """Logged in, with a session not ended since by "log out everywhere", a password change
    or an email change (they raise the user's token_version, which the login stored)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated:
            stored = request.session.get("portal_token_version")
            if stored is None or stored == user.token_version:
                return view(request, *args, **kwargs)
            logout(request)
            messages.info(request, "Your session ended. Please log in again.")
        return redirect_to_login(request.get_full_path(), reverse("portal:login"))

    return wrapped


def _page(request, template, context, status=200):
    return render(request, f"portal/account/{template}", {"nav": "account", **context}, status=status)


def _form_page(request, form, section, save):
    """The shape every account form shares (its template is <section>.html): GET shows the form;
    a valid POST runs save(cleaned_data), which calls the service and answers with a message and a
    redirect; a service's ValidationError lands on the fields, and an invalid form comes back with a 400."""
    if request.method == "POST":
        if form.is_valid():
            try:
                return save(form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
        status = 400
    else:
        status = 200
    return _page(request, f"{section}.html", {"form": form, "section": section}, status=status)


@member_required
def profile(request):
    user = request.user
    form = ProfileForm(_data(request), initial={name: getattr(user, name) for name in PROFILE})

    def save(data):
        account_update(user=user, data={name: data[name] for name in PROFILE})
        messages.success(request, "Your profile is saved.")
        return redirect("portal:account")

    return _form_page(request, form, "profile", save)


@member_required
def email_change(request):
    def save(data):
        user = account_update(user=request.user, data={"email": data["email"]})
        if user.pending_email:
            messages.success(
                request,
                f"We sent a link to {user.pending_email}. Until you open it, you keep logging in with {user.email}.",
            )
        else:
            messages.info(request, "That is already your email address.")
        return redirect("portal:account-email")

    return _form_page(request, EmailChangeForm(_data(request)), "email", save)


@member_required
def password_change(request):
    def save(data):
        account_change_password(user=request.user, **data)
        logout(request)
        messages.success(
            request, "Your password is changed and every session was logged out. Log in with the new password."
        )
        return redirect("portal:login")

    return _form_page(request, PasswordChangeForm(_data(request)), "password", save)


@member_required
def settings_page(request):
    user = request.user
    initial = {"time_zone": user.time_zone, "show_in_directory": user.show_in_directory}
    form = SettingsForm(_data(request), initial=initial, current_zone=user.time_zone)

    def save(data):
        account_update(user=user, data=dict(data))
        messages.success(request, "Your settings are saved.")
        return redirect("portal:account-settings")

    return _form_page(request, form, "settings", save)


@member_required
def preferences(request):
    """The same matrix as GET/PUT /users/me/notification-preferences; mandatory kinds locked."""
    form = PreferencesForm(_data(request), items=preference_list(user=request.user))

    def save(data):
        preferences_update(user=request.user, changes=form.changes())
        messages.success(request, "Your notification choices are saved.")
        return redirect("portal:account-notifications")

    return _form_page(request, form, "notifications", save)


@member_required
def sessions(request):
    """Log out everywhere: every browser session and API token of the account ends."""
    if request.method == "POST":
        session_logout_all(user=request.user)
        logout(request)
        messages.success(request, "You are logged out everywhere, here too.")
        return redirect("portal:login")
    return _page(request, "sessions.html", {"section": "sessions"})


@member_required
def close(request):
    def save(data):
        account_close(user=request.user, password=data["password"])
        logout(request)
        messages.success(request, "Your account is closed and your profile erased. Goodbye, and thank you.")
        return redirect("portal:home")

    return _form_page(request, CloseAccountForm(_data(request)), "close", save)
