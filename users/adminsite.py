"""The admin site: staff only once both steps of the sign-in passed.

`has_permission` is Django's (an active staff user) and the two-step state of the
session (`two_step.state`): the password and, for a user with a second factor, a code
(django-otp's verified session). With STAFF_MFA_REQUIRED an ADMIN or MANAGER without a
factor is sent to enrolment before any other page. The login page routes a signed-in
session to the step it still owes; its password posts spend the client address's
AUTH_THROTTLE_RATE budget as POST /login does (429 once it is spent).
"""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.template.response import TemplateResponse
from django.urls import path

from core.throttling import auth_wait

from . import two_step


class StaffAdminSite(admin.AdminSite):
    enable_nav_sidebar = False

    def has_permission(self, request):
        return super().has_permission(request) and two_step.state(request) == two_step.PASSED

    def login(self, request, extra_context=None):
        owed = two_step.owed_step(request)
        if owed is not None:
            return owed
        if request.method == "POST" and not request.user.is_authenticated:
            wait = auth_wait(request)
            if wait:
                return self._login_refused(request, wait)
        response = super().login(request, extra_context)
        if request.method == "POST" and request.user.is_authenticated:  # the password step just passed
            two_step.password_passed(request)
            return two_step.owed_step(request) or response
        return response

    def _login_refused(self, request, wait: int):
        """The login page again, unbound (the password is not checked), with why and when."""
        messages.error(request, f"Too many attempts from your address: try again in {wait} seconds.")
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "form": (self.login_form or AdminAuthenticationForm)(request),
            REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME) or "/admin/",
        }
        response = TemplateResponse(request, self.login_template or "admin/login.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response

    def get_urls(self):
        from . import passkeys  # its views import this module's neighbours

        urls = [
            # Django's logout, without the staff check: a session still owing its second step
            # (or its enrolment) may give up and log out.
            path("logout/", self.logout, name="logout"),
            path("two-step/", two_step.verify(self), name="two_step_verify"),
            path("two-step/setup/", two_step.setup(self), name="two_step_setup"),
            path("two-step/factors/", self.admin_view(two_step.manage(self)), name="two_step_manage"),
            path("two-step/reset/<uuid:user_id>/", self.admin_view(two_step.reset(self)), name="two_step_reset"),
            *passkeys.urls(self),
        ]
        return urls + super().get_urls()
