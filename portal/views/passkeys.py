"""Passkeys on the member pages: django-otp-webauthn's ceremonies, narrowed as the admin's
are (users.passkeys).

- Registration: a member signed in to these pages who proved the password (and a code)
  on the "Add a passkey" page in the last ten minutes (`security.passkey_proof_is_fresh`);
  that proof stands in for the library's own check that the session used a factor.
- The log-in's second step: a visitor who gave the right password of an account with a
  passkey (`auth.login_page` keeps who in the session for five minutes) answers the
  challenge with one of that account's passkeys, and is signed in.

The browser side is the library's static scripts, configured by a JSON data block (no
inline script: the member pages' CSP runs none), plus portal/passkeys.js.
"""

from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp_webauthn import exceptions, views

from mfa import passkeys as mfa_passkeys
from users.devices import set_device_cookie, user_agent_family
from users.services import user_login_completed

from .auth import safe_next
from .login_steps import finish_login, pending_user
from .security import NEW_CODES_KEY, PASSKEY_PROOF_KEY, passkey_proof_is_fresh


class ProofRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "proof_required"
    default_detail = "Confirm your password first (reload the page)."


class StepNotOwed(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "second_step_not_owed"
    default_detail = "Log in with your password first."


class RegistrationMixin:
    def check_can_register(self):
        request = self.request
        stored = request.session.get("portal_token_version")
        if stored is not None and stored != request.user.token_version:
            raise exceptions.NotAuthenticated()
        if not passkey_proof_is_fresh(request):
            raise ProofRequired()

    def user_is_mfa_enrolled(self, user) -> bool:
        # The "Add a passkey" page asked for a code (users.services.user_login) when the
        # member has a factor: check_can_register requires that proof, fresh.
        return False


@method_decorator(never_cache, name="dispatch")
class BeginRegistration(RegistrationMixin, views.BeginCredentialRegistrationView):
    pass


@method_decorator(never_cache, name="dispatch")
class CompleteRegistration(RegistrationMixin, views.CompleteCredentialRegistrationView):
    """After the library saved the credential: audited and told (mfa.passkeys), recovery
    codes kept in the session until the next page shows them once when it is the first factor."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            user = self.request.user
            device = mfa_passkeys.user_passkeys(user)[-1]
            if not device.name:  # the library leaves it empty: the browser it was made in, until renamed
                family = user_agent_family(self.request.META.get("HTTP_USER_AGENT", ""))
                device.name = f"Passkey on {family}"[: mfa_passkeys.NAME_MAX_LENGTH]
                device.save(update_fields=["name"])
            codes = mfa_passkeys.passkey_added(user=user, device=device)
            self.request.session[NEW_CODES_KEY] = codes
            self.request.session.pop(PASSKEY_PROOF_KEY, None)
        return response


class AuthenticationMixin:
    def get_user(self):
        return pending_user(self.request)

    def check_can_authenticate(self):
        if pending_user(self.request) is None:
            raise StepNotOwed()


@method_decorator(never_cache, name="dispatch")
class BeginAuthentication(AuthenticationMixin, views.BeginCredentialAuthenticationView):
    pass


@method_decorator(never_cache, name="dispatch")
class CompleteAuthentication(AuthenticationMixin, views.CompleteCredentialAuthenticationView):
    """The passkey answered: the attempt the password left counted is given back, and the
    member is signed in."""

    def check_device_usable(self, device):
        super().check_device_usable(device)
        user = pending_user(self.request)
        if user is None or device.user_id != user.pk:
            raise exceptions.CredentialNotFound()

    def complete_auth(self, device):
        user = pending_user(self.request)
        user_login_completed(user=user)
        finish_login(self.request, user)

    def get_success_url(self):
        return safe_next(self.request, reverse("portal:home"))

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        set_device_cookie(self.request, response)
        return response
