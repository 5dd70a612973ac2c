"""Passkeys in the admin (django-otp-webauthn): registered from the factor page, used at
the second step of the sign-in (never instead of the password).

The WebAuthn ceremonies are the library's views, narrowed here: registering needs a
session that passed both steps and proved the password in the last ADMIN_REAUTH_MINUTES
(sudo mode: the page asks first); signing in with one needs a session that gave the
password and still owes the second step, and finishes it through `two_step.complete`.
The browser side is the library's static scripts, configured by a JSON data block
(no inline script: the CSP allows none), plus `users/passkeys.js`.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions, views
from django_otp_webauthn.helpers import WebAuthnHelper

from mfa import passkeys as mfa_passkeys
from mfa.errors import InvalidCode, NotEnrolled, WrongPassword

from . import two_step
from .admin.sudo import sudo_required
from .staff_session import is_recent

NEW_CODES_KEY = "passkey_new_recovery_codes"


def relying_party_id(request) -> str:
    """WEBAUTHN_RP_ID, else the host the request came to (checked by ALLOWED_HOSTS)."""
    return settings.WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0]


class PasskeyHelper(WebAuthnHelper):
    """The expected origin is the one the request came to (its host is checked by
    ALLOWED_HOSTS), and any in OTP_WEBAUTHN_ALLOWED_ORIGINS."""

    def get_allowed_origins(self) -> list[str]:
        own = f"{self.request.scheme}://{self.request.get_host()}"
        return [own, *(origin for origin in super().get_allowed_origins() if origin != own)]


class ReauthRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "reauth_required"
    default_detail = "Confirm your password first (reload the page)."


class StepNotOwed(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "second_step_not_owed"
    default_detail = "Sign in with your password first."


class RegistrationMixin:
    """Staff whose session passed both steps (or owes enrolment: a passkey may be the
    first factor), with a recent password check."""

    def check_can_register(self):
        request = self.request
        if not (request.user.is_staff and two_step.state(request) in (two_step.PASSED, two_step.ENROLMENT_OWED)):
            raise exceptions.NotAuthenticated()
        if not is_recent(request):
            raise ReauthRequired()


@method_decorator(never_cache, name="dispatch")
class BeginRegistration(RegistrationMixin, views.BeginCredentialRegistrationView):
    pass


@method_decorator(never_cache, name="dispatch")
class CompleteRegistration(RegistrationMixin, views.CompleteCredentialRegistrationView):
    """After the library saved the credential: audited, told, recovery codes if it is the
    first factor (kept in the session until the next page shows them once)."""

    def post(self, *args, **kwargs):
        enrolling = two_step.state(self.request) == two_step.ENROLMENT_OWED
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            device = mfa_passkeys.user_passkeys(self.request.user)[-1]
            codes = mfa_passkeys.passkey_added(user=self.request.user, device=device)
            if codes:
                self.request.session[NEW_CODES_KEY] = codes
            if enrolling:  # the enrolment the admin required is done: the sign-in is complete
                two_step.complete(self.request, device)
        return response


@method_decorator(never_cache, name="dispatch")
class BeginAuthentication(views.BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        if two_step.state(self.request) != two_step.CODE_OWED:
            raise StepNotOwed()


@method_decorator(never_cache, name="dispatch")
class CompleteAuthentication(views.CompleteCredentialAuthenticationView):
    """The passkey answered the challenge: the second step is passed."""

    def check_can_authenticate(self):
        if two_step.state(self.request) != two_step.CODE_OWED:
            raise StepNotOwed()

    def check_device_usable(self, device):
        super().check_device_usable(device)
        if device.user_id != self.request.user.pk:
            raise exceptions.CredentialNotFound()

    def complete_auth(self, device):
        two_step.complete(self.request, device, counted=False)

    def get_success_url(self):
        target = self.request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(target, {self.request.get_host()}, require_https=self.request.is_secure()):
            return target
        return reverse("admin:index")


def confirm(site):
    """Sudo mode before adding a passkey: the password (and code) again, then back to the factors."""

    @never_cache
    def view(request):
        reauth = sudo_required(site, request, purpose="add a passkey")
        return reauth or redirect(reverse("admin:two_step_manage"))

    return view


def added(site):
    """After a passkey was registered: its recovery codes (first factor only), shown once."""

    @never_cache
    def view(request):
        codes = request.session.pop(NEW_CODES_KEY, [])
        return two_step._codes_page(site, request, codes, "Your passkey is set up.")

    return view


def remove(site):
    """Remove one of one's passkeys, with the password and a current code."""

    @never_cache
    def view(request, device_id):
        device = next((d for d in mfa_passkeys.user_passkeys(request.user) if d.pk == device_id), None)
        if device is None:
            raise PermissionDenied("No such passkey of yours.")
        form = two_step.PasswordAndCodeForm(request.POST if request.method == "POST" else None)
        status = 200
        if form.is_valid():
            try:
                two_step.change_factors(
                    request,
                    mfa_passkeys.passkey_remove,
                    password=form.cleaned_data["password"],
                    code=form.cleaned_data["code"],
                    device_id=device.pk,
                )
            except two_step.SignedOut:
                return two_step.signed_out(request)
            except (WrongPassword, InvalidCode, NotEnrolled) as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 400
            else:
                messages.success(request, "The passkey was removed.")
                return redirect(reverse("admin:two_step_manage"))
        elif request.method == "POST":
            status = 400
        context = {"form": form, "device": device, "title": "Remove a passkey"}
        return two_step._page(site, request, "admin/two_step/passkey_remove.html", context, status=status)

    return view


def urls(site) -> list:
    """The admin site's passkey routes (`StaffAdminSite.get_urls`)."""
    return [
        path("two-step/passkeys/register/begin/", BeginRegistration.as_view(), name="passkey_register_begin"),
        path("two-step/passkeys/register/complete/", CompleteRegistration.as_view(), name="passkey_register_complete"),
        path("two-step/passkeys/sign-in/begin/", BeginAuthentication.as_view(), name="passkey_auth_begin"),
        path("two-step/passkeys/sign-in/complete/", CompleteAuthentication.as_view(), name="passkey_auth_complete"),
        path(
            "two-step/passkeys/jsi18n/",
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
            name="passkey_jsi18n",
        ),
        path("two-step/passkeys/confirm/", site.admin_view(confirm(site)), name="passkey_confirm"),
        path("two-step/passkeys/added/", site.admin_view(added(site)), name="passkey_added"),
        path("two-step/passkeys/<int:device_id>/remove/", site.admin_view(remove(site)), name="passkey_remove"),
    ]
