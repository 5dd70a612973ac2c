"""Helpers for two-factor sign-in tests: an enrolled user and the codes their app would show."""

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa import services as mfa

from ..factories import PASSWORD

# A code for another step than the current one is only right while the step it was
# computed in lasts: the code of step -1 is refused (-2) once the clock crosses into the
# next step, the code of step +2 accepted (+1). One request (an Argon2 check on a busy
# machine included) takes far less than this.
STEP_MARGIN_S = 3.0


def totp_code(device: TOTPDevice, steps: int = 0) -> str:
    """The code the authenticator app shows `steps` time steps from now (±1 is accepted).

    With `steps` other than 0, when fewer than STEP_MARGIN_S seconds of the current step
    are left it waits for the next step first, so the request that uses the code sees
    the step it was computed for, wherever in a 30 s step the test runs."""
    if steps:
        left = device.step - (time.time() - device.t0) % device.step
        if left < STEP_MARGIN_S:
            time.sleep(left + 0.05)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """Enrol `user` through the service (as the setup page does) with the code of the
    previous step, so the current and the next step's codes are still unused."""
    pending = mfa.totp_pending(user=user)
    return mfa.totp_confirm(user=user, password=PASSWORD, code=totp_code(pending, -1))


@pytest.fixture
def required(settings):
    settings.STAFF_MFA_REQUIRED = True


@pytest.fixture
def enrolled_admin(admin_user):
    device, codes = enrol(admin_user)
    admin_user.device, admin_user.codes = device, codes
    return admin_user


@pytest.fixture
def enrolled_member(verified_user):
    device, codes = enrol(verified_user)
    verified_user.device, verified_user.codes = device, codes
    return verified_user
