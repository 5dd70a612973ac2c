"""Joining, signing in and the member's own account (under /app/)."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from .views import account, auth, passkeys, security

urlpatterns = [
    path("signup/", auth.signup, name="signup"),
    path("signup/check-your-email/", auth.signup_done, name="signup-done"),
    path("verify-email/resend/", auth.verification_resend_page, name="verify-email-resend"),
    path("login/", auth.login_page, name="login"),
    path("login/second-step/", auth.login_second_step, name="login-second-step"),
    path("login/passkey/begin/", passkeys.BeginAuthentication.as_view(), name="passkey-auth-begin"),
    path("login/passkey/complete/", passkeys.CompleteAuthentication.as_view(), name="passkey-auth-complete"),
    path("logout/", auth.logout_page, name="logout"),
    path("password/forgot/", auth.password_forgot, name="password-forgot"),
    path("password/forgot/sent/", auth.password_forgot_sent, name="password-forgot-sent"),
    path("unsubscribe/<str:token>/", auth.unsubscribe, name="unsubscribe"),
    path("account/", account.profile, name="account"),
    path("account/email/", account.email_change, name="account-email"),
    path("account/password/", account.password_change, name="account-password"),
    path("account/settings/", account.settings_page, name="account-settings"),
    path("account/notifications/", account.preferences, name="account-notifications"),
    path("account/sessions/", account.sessions, name="account-sessions"),
    path("account/close/", account.close, name="account-close"),
    path("account/security/", security.overview, name="account-security"),
    path("account/security/app/", security.app_setup, name="account-security-app"),
    path("account/security/app/remove/", security.app_remove, name="account-security-app-remove"),
    path("account/security/recovery-codes/", security.codes_regenerate, name="account-security-codes"),
    path("account/security/passkeys/add/", security.passkey_add, name="account-security-passkey-add"),
    path("account/security/passkeys/added/", security.passkey_added, name="account-security-passkey-added"),
    path(
        "account/security/passkeys/<int:device_id>/name/",
        security.passkey_rename,
        name="account-security-passkey-rename",
    ),
    path(
        "account/security/passkeys/<int:device_id>/remove/",
        security.passkey_remove,
        name="account-security-passkey-remove",
    ),
    path(
        "account/security/passkeys/register/begin/",
        passkeys.BeginRegistration.as_view(),
        name="passkey-register-begin",
    ),
    path(
        "account/security/passkeys/register/complete/",
        passkeys.CompleteRegistration.as_view(),
        name="passkey-register-complete",
    ),
    path(
        "passkeys/jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="passkey-jsi18n",
    ),
]
