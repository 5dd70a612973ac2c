"""Two-step sign-in to the admin in a real browser (issue 16, items 1-2): a member of staff
without a factor is sent to enrolment, scans (here: reads) the key, sees the recovery codes
once, and next time signs in with the password and a recovery code. The pages keep the CSP
(no console errors or violations: the `page` fixture) and pass axe-core."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.factories import PASSWORD

from .conftest import admin_login

pytestmark = pytest.mark.browser


def code_for(key_text: str) -> str:
    totp = TOTP(b32decode(key_text.replace(" ", "")), step=30, t0=0, digits=6, drift=0)
    return f"{totp.token():06d}"


def test_staff_enrol_then_sign_in_with_a_recovery_code(page, admin_account, settings, axe, shot, problems):
    settings.STAFF_MFA_REQUIRED = True
    problems.expect("400 (Bad Request)")  # the wrong code's answer
    admin_login(page, admin_account)
    expect(page).to_have_url(re.compile(r"/admin/two-step/setup/"))
    expect(page.locator("#two-step-qr svg")).to_be_visible()
    axe("enrolment")
    shot("setup")

    page.fill("#id_password", PASSWORD)
    page.fill("#id_code", code_for(page.locator("#two-step-key").inner_text()))
    page.click("#two-step-setup input[type=submit]")
    codes = page.locator("#recovery-codes code")
    expect(codes).to_have_count(10)
    axe("recovery codes")
    recovery = codes.first.inner_text()
    page.get_by_role("link", name="Continue").click()
    expect(page.locator("#site-name")).to_have_text("Event Manager administration")

    page.locator("#logout-form button").click()
    admin_login(page, admin_account)
    expect(page).to_have_url(re.compile(r"/admin/two-step/\?next="))
    expect(page.locator("#two-step-methods")).to_contain_text("Recovery code")
    axe("second step")
    shot("second-step")
    page.fill("#id_code", "000000")
    page.click("#two-step-form input[type=submit]")
    expect(page.locator("#id_code_error")).to_contain_text("not correct")
    page.fill("#id_code", recovery)
    page.click("#two-step-form input[type=submit]")
    expect(page.locator("#site-name")).to_have_text("Event Manager administration")
    expect(page.locator("#user-tools")).to_contain_text(admin_account.email, ignore_case=True)
