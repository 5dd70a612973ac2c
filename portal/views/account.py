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


@member_required
def profile(request):
    user = request.user
    form = ProfileForm(_data(request), initial={name: getattr(user, name) for name in PROFILE})
    if request.method == "POST":
        if form.is_valid():
            try:
                account_update(user=user, data={name: form.cleaned_data[name] for name in PROFILE})
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("portal:account")
        return _page(request, "profile.html", {"form": form, "section": "profile"}, status=400)
    return _page(request, "profile.html", {"form": form, "section": "profile"})


@member_required
def email_change(request):
    form = EmailChangeForm(_data(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                user = account_update(user=request.user, data={"email": form.cleaned_data["email"]})
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                if user.pending_email:
                    messages.success(
                        request,
                        f"We sent a link to {user.pending_email}. Until you open it, you keep logging in "
                        f"with {user.email}.",
                    )
                else:
                    messages.info(request, "That is already your email address.")
                return redirect("portal:account-email")
        return _page(request, "email.html", {"form": form, "section": "email"}, status=400)
    return _page(request, "email.html", {"form": form, "section": "email"})


@member_required
def password_change(request):
    form = PasswordChangeForm(_data(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                account_change_password(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                logout(request)
                messages.success(
                    request, "Your password is changed and every session was logged out. Log in with the new password."
                )
                return redirect("portal:login")
        return _page(request, "password.html", {"form": form, "section": "password"}, status=400)
    return _page(request, "password.html", {"form": form, "section": "password"})


@member_required
def settings_page(request):
    user = request.user
    initial = {"time_zone": user.time_zone, "show_in_directory": user.show_in_directory}
    form = SettingsForm(_data(request), initial=initial, current_zone=user.time_zone)
    if request.method == "POST":
        if form.is_valid():
            try:
                account_update(user=user, data=dict(form.cleaned_data))
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Your settings are saved.")
                return redirect("portal:account-settings")
        return _page(request, "settings.html", {"form": form, "section": "settings"}, status=400)
    return _page(request, "settings.html", {"form": form, "section": "settings"})


@member_required
def preferences(request):
    """The same matrix as GET/PUT /users/me/notification-preferences; mandatory kinds locked."""
    items = preference_list(user=request.user)
    form = PreferencesForm(_data(request), items=items)
    if request.method == "POST":
        if form.is_valid():
            try:
                preferences_update(user=request.user, changes=form.changes())
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Your notification choices are saved.")
                return redirect("portal:account-notifications")
        return _page(request, "notifications.html", {"form": form, "section": "notifications"}, status=400)
    return _page(request, "notifications.html", {"form": form, "section": "notifications"})


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
    form = CloseAccountForm(_data(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                account_close(user=request.user, password=form.cleaned_data["password"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                logout(request)
                messages.success(request, "Your account is closed and your profile erased. Goodbye, and thank you.")
                return redirect("portal:home")
        return _page(request, "close.html", {"form": form, "section": "close"}, status=400)
    return _page(request, "close.html", {"form": form, "section": "close"})
