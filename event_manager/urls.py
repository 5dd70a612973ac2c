from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from events.views import CalendarFeedView, CalendarTokenView, EventCalendarView, EventViewSet, MyRegistrationsView
from notifications.views import NotificationPreferencesView, NotificationViewSet
from portal.views.auth import browser_or_api, reset_complete, reset_confirm, verify_email_page
from users.admin.password_reset import PasswordResetDoneView
from users.admin.password_reset import PasswordResetView as AdminPasswordResetView
from users.api.account import LogoutAllView, MePasswordView, MeView
from users.api.auth import (
    LoginView,
    LogoutView,
    PasswordResetConfirmAPIView,
    PasswordResetView,
    RegisterView,
    TokenRefreshView,
    VerificationResendView,
    VerifyEmailView,
)
from users.api.factors import FactorsView, PasskeyView, RecoveryCodesView, TotpConfirmView, TotpView
from users.api.staff import AuditViewSet, UserViewSet

from .admin_order import ordered
from .docs_assets import favicon, redoc_bundle
from .operator import operator_view
from .views import HealthView


class OptionalSlashRouter(SimpleRouter):
    """Every route answers with and without its trailing slash."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("users", UserViewSet, basename="user")
router.register("events", EventViewSet, basename="event")

admin.site.site_header = "Event Manager administration"
admin.site.site_title = "Event Manager admin"
admin.site.index_title = "Community records"
admin.site.site_url = "/"  # "View site": the member pages' home
if not getattr(admin.site.get_app_list, "ordered", False):
    admin.site.get_app_list = ordered(admin.site.get_app_list)

urlpatterns = [
    re_path(r"^register/?$", RegisterView.as_view(), name="register"),
    re_path(r"^login/?$", LoginView.as_view(), name="login"),
    re_path(r"^verify-email/resend/?$", VerificationResendView.as_view(), name="verify-email-resend"),
    re_path(
        r"^verify-email/(?P<user_id>[^/]+)/(?P<token>[^/]+)/?$",
        browser_or_api(verify_email_page, VerifyEmailView.as_view()),
        name="verify-email",
    ),
    re_path(r"^token/refresh/?$", TokenRefreshView.as_view(), name="token-refresh"),
    re_path(r"^logout/all/?$", LogoutAllView.as_view(), name="logout-all"),
    re_path(r"^logout/?$", LogoutView.as_view(), name="logout"),
    re_path(r"^password-reset/confirm/?$", PasswordResetConfirmAPIView.as_view(), name="password-reset-confirm"),
    re_path(r"^password-reset/?$", PasswordResetView.as_view(), name="password-reset"),
    re_path(r"^audit/?$", AuditViewSet.as_view({"get": "list"}), name="audit-list"),
    # The admin login's "Forgot your password?" (Django's pages); the emailed link opens the
    # member pages' reset form, which ends at the member login (and names the admin's).
    path("admin/password_reset/", AdminPasswordResetView.as_view(), name="admin_password_reset"),
    path("admin/password_reset/done/", PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", reset_confirm, name="password_reset_confirm"),
    path("reset/done/", reset_complete, name="password_reset_complete"),
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    path("", include("core.urls")),
    re_path(r"^openapi\.json/?$", SpectacularJSONAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    re_path(r"^redoc/redoc\.standalone\.js$", redoc_bundle, name="redoc-bundle"),
    re_path(r"^favicon\.ico$", favicon, name="favicon"),
    path("admin/operator/", admin.site.admin_view(operator_view), name="admin-operator"),
    path("admin/", admin.site.urls),
    # /users/me… before the users router, so `me` is never taken for an id.
    re_path(r"^users/me/password/?$", MePasswordView.as_view(), name="me-password"),
    re_path(r"^users/me/factors/?$", FactorsView.as_view(), name="me-factors"),
    re_path(r"^users/me/factors/totp/?$", TotpView.as_view(), name="me-factors-totp"),
    re_path(r"^users/me/factors/totp/confirm/?$", TotpConfirmView.as_view(), name="me-factors-totp-confirm"),
    re_path(r"^users/me/factors/recovery-codes/?$", RecoveryCodesView.as_view(), name="me-factors-recovery-codes"),
    re_path(r"^users/me/factors/passkeys/(?P<pk>[0-9]{1,18})/?$", PasskeyView.as_view(), name="me-factors-passkey"),
    re_path(r"^users/me/?$", MeView.as_view(), name="me"),
    path("", include("portal.urls")),
    re_path(r"^events/(?P<pk>[^/.]+)\.ics/?$", EventCalendarView, name="event-calendar"),
    re_path(r"^users/me/registrations/?$", MyRegistrationsView.as_view(), name="my-registrations"),
    re_path(r"^users/me/calendar-token/?$", CalendarTokenView.as_view(), name="calendar-token"),
    re_path(r"^users/me/events\.ics/?$", CalendarFeedView.as_view(), name="calendar-feed"),
    re_path(r"^notifications/?$", NotificationViewSet.as_view({"get": "list"}), name="notification-list"),
    re_path(
        r"^notifications/read-all/?$",
        NotificationViewSet.as_view({"post": "read_all"}),
        name="notification-read-all",
    ),
    re_path(
        r"^notifications/(?P<pk>[0-9]{1,18})/read/?$",
        NotificationViewSet.as_view({"post": "read"}),
        name="notification-read",
    ),
    # Before the users router, which would take "me" for a user id.
    re_path(
        r"^users/me/notification-preferences/?$",
        NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("", include(router.urls)),
]

handler400 = "event_manager.views.bad_request"
handler403 = "event_manager.views.permission_denied"
handler404 = "event_manager.views.not_found"
handler500 = "event_manager.views.server_error"
