"""Joining, signing in and the member's own account (under /app/)."""

from django.urls import path

from .views import account, auth

urlpatterns = [
    path("signup/", auth.signup, name="signup"),
    path("signup/check-your-email/", auth.signup_done, name="signup-done"),
    path("verify-email/resend/", auth.verification_resend_page, name="verify-email-resend"),
    path("login/", auth.login_page, name="login"),
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
]
