"""Passkeys in a real browser (issue 16, items 1-2): Debian's chromium with a virtual
authenticator (the DevTools protocol's WebAuthn domain) registers a passkey from the
admin's factor page, then signs in with it at the second step. The pages keep the strict
CSP (the `page` fixture fails on any violation or console error) and pass axe-core."""

import re
import time

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from audit.models import AuditEvent
from tests.factories import PASSWORD
from users.staff_session import CHECKED_KEY

from .conftest import admin_login

pytestmark = pytest.mark.browser


@pytest.fixture
def authenticator(page):
    """A platform authenticator (like a laptop's fingerprint reader) that always says yes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")


def test_register_a_passkey_then_sign_in_with_it(page, as_admin, admin_account, authenticator, axe, shot):
    cdp, authenticator_id = authenticator
    page.goto("/admin/two-step/factors/")
    expect(page.locator("#passkey-list")).to_contain_text("None yet.")
    axe("factor page")
    shot("factors")

    page.click("#passkey-register-button")

    expect(page).to_have_url(re.compile(r"/admin/two-step/passkeys/added/"))
    expect(page.locator("#recovery-codes code")).to_have_count(10)  # the passkey is the first factor
    axe("passkey added")
    credential = WebAuthnCredential.objects.get(user=admin_account)
    assert credential.confirmed
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1
    assert AuditEvent.objects.filter(action="mfa.passkey_added", target_user=admin_account).exists()
    page.goto("/admin/two-step/factors/")
    expect(page.locator("#passkey-list li")).to_have_count(1)

    page.locator("#logout-form button").click()
    admin_login(page, admin_account)
    expect(page).to_have_url(re.compile(r"/admin/two-step/\?next="))
    expect(page.locator("#two-step-methods")).to_contain_text("Passkey")
    axe("second step with a passkey")
    shot("second-step")

    page.click("#passkey-verification-button")

    expect(page.locator("#site-name")).to_have_text("Event Manager administration")
    expect(page.locator("#user-tools")).to_contain_text(admin_account.email, ignore_case=True)
    credential.refresh_from_db()
    assert credential.sign_count >= 0 and credential.last_used_at is not None


def checked_long_ago(page):
    """Move the browser session's last password check 11 minutes back (ADMIN_REAUTH_MINUTES: 10)."""
    from django.contrib.sessions.backends.db import SessionStore

    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=key)
    session[CHECKED_KEY] = int(time.time()) - 11 * 60
    session.save()


def test_a_stale_session_confirms_the_password_before_adding_a_passkey(page, as_admin, authenticator):
    checked_long_ago(page)
    page.goto("/admin/two-step/factors/")
    expect(page.locator("#passkey-register-button")).to_have_count(0)

    page.click("#passkey-confirm")
    expect(page.locator("h1")).to_have_text("Confirm it is you")
    page.fill("#id_sudo_password", "not-my-password")
    page.click("input[type=submit]")
    expect(page.locator("#id_sudo_password_error")).to_contain_text("not your password")
    page.fill("#id_sudo_password", PASSWORD)
    page.click("input[type=submit]")

    expect(page).to_have_url(re.compile(r"/admin/two-step/factors/"))
    expect(page.locator("#passkey-register-button")).to_be_visible()


def test_staff_required_to_enrol_may_choose_a_passkey(page, admin_account, authenticator, settings, axe):
    settings.STAFF_MFA_REQUIRED = True
    admin_login(page, admin_account)
    expect(page).to_have_url(re.compile(r"/admin/two-step/setup/"))
    axe("enrolment with the passkey option")

    page.click("#passkey-register-button")

    expect(page.locator("#recovery-codes code")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    expect(page.locator("#site-name")).to_have_text("Event Manager administration")
    assert WebAuthnCredential.objects.filter(user=admin_account, confirmed=True).count() == 1
