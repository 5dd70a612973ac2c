"""Helpers for two-factor sign-in tests: an enrolled user and the codes their app would show."""

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa import services as mfa

from ..factories import PASSWORD


def totp_code(device: TOTPDevice, steps: int = 0) -> str:
    """The code the authenticator app shows `steps` time steps from now (±1 is accepted)."""
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
