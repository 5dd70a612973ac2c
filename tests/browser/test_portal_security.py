"""My account → Security in a real browser (issue 16 on the member pages): a member turns
on an authenticator app with a code computed from the key the page shows, sees the ten
recovery codes once, logs out and back in with a code and with a recovery code; adds a
passkey with chromium's virtual authenticator (the DevTools protocol's WebAuthn domain)
and logs in with it; and turns the app on with JavaScript off at 390 px. axe-core on every
state; the `page` fixture fails on any CSP violation or console error."""

import re
import time
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from audit.models import AuditEvent
from mfa.models import RecoveryCode
from tests.factories import PASSWORD

from .conftest import PHONE, SCREEN, TIMEOUT_MS, portal_shot, session_cookie
from .test_passkeys import authenticator  # noqa: F401 - the virtual authenticator fixture

pytestmark = pytest.mark.browser

SECURITY = "/app/account/security/"


def code_from_key(shown_key: str, steps: int = 0) -> str:
    """What an authenticator app fed with `shown_key` shows `steps` time steps from now."""
    totp = TOTP(b32decode(shown_key.replace(" ", "")), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def log_in(page, member, otp=""):
    page.goto(reverse("portal:login"))
    page.get_by_label("Email address").first.fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    if otp:
        page.get_by_label("One-time code").fill(otp)
    page.get_by_role("button", name="Log in").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


@pytest.mark.parametrize("viewport", [SCREEN, PHONE], ids=["1366px", "390px"])
def test_turn_on_an_app_see_the_codes_once_and_log_in_with_a_code_then_a_recovery_code(
    page, as_member, member, axe, viewport, problems
):
    problems.expect("status of 400", "status of 401")  # the refusals the journey provokes
    page.set_viewport_size(viewport)
    page.goto("/app/account/")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Security").click()
    expect(page.locator("#security-status")).to_contain_text("off")
    expect(page.get_by_role("link", name="Add a passkey")).to_be_visible()  # JavaScript on: offered
    axe("security, no factor")

    page.get_by_role("link", name="Turn on an authenticator app").click()
    expect(page.locator("#security-qr svg")).to_be_visible()
    axe("set up the app")
    if viewport == SCREEN:
        portal_shot(page, "security-app")
    key = page.locator("#security-key").inner_text()
    page.get_by_role("button", name="Turn on the app").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe("set up the app, errors")

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("The 6-digit code the app shows now").fill(code_from_key(key))
    page.get_by_role("button", name="Turn on the app").click()

    expect(page.locator("#recovery-codes code")).to_have_count(10)
    codes = page.locator("#recovery-codes code").all_inner_texts()
    axe("recovery codes")
    page.get_by_role("link", name="I saved them: back to Security").click()
    expect(page.locator("#security-status")).to_contain_text("on")
    expect(page.locator("#codes-left")).to_have_text("10")
    assert codes[0] not in page.content()  # never shown again
    axe("security, app on")
    if viewport == SCREEN:
        portal_shot(page, "security")

    log_out(page)
    log_in(page, member)
    expect(page.locator("#id_otp_error")).to_contain_text("Enter the one-time code")
    axe("log in, code missing")
    log_in(page, member, otp=code_from_key(key, 1))  # the next step's code: the first one is spent
    expect(page.get_by_role("link", name="Account")).to_be_visible()

    log_out(page)
    log_in(page, member, otp=codes[0])
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    page.goto(SECURITY)
    expect(page.locator("#codes-left")).to_have_text("9")
    assert AuditEvent.objects.filter(action="mfa.totp_added", target_user=member).exists()


def test_add_a_passkey_and_log_in_with_it(page, member, live_server, authenticator, axe, problems):  # noqa: F811
    problems.expect("status of 400")  # the wrong password
    cdp, authenticator_id = authenticator
    page.context.add_cookies([session_cookie(member, live_server.url)])
    page.goto(SECURITY)
    page.get_by_role("link", name="Add a passkey").click()
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#id_password_error")).to_contain_text("The password is not correct.")
    axe("add a passkey, wrong password")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#passkey-register-button")).to_be_visible()
    axe("add a passkey, ready")

    page.locator("#passkey-register-button").click()

    expect(page).to_have_url(re.compile(r"/app/account/security/passkeys/added/"))
    expect(page.locator("#recovery-codes code")).to_have_count(10)  # the passkey is the first factor
    axe("passkey added")
    assert WebAuthnCredential.objects.filter(user=member, confirmed=True).count() == 1
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1
    assert RecoveryCode.objects.filter(device__user=member).count() == 10
    page.goto(SECURITY)
    expect(page.locator("#passkey-list li")).to_have_count(1)
    expect(page.locator("#passkey-list li")).to_contain_text("Passkey on Chrome")  # named after the browser
    axe("security, one passkey")
    page.locator("#passkey-list").get_by_role("link", name="Rename").click()
    axe("rename a passkey")
    page.get_by_label("Name").fill("Work laptop")
    page.get_by_role("button", name="Save the name").click()
    expect(page.locator("#passkey-list li")).to_contain_text("Work laptop, added")

    log_out(page)
    log_in(page, member)
    expect(page.get_by_role("heading", name="Log in: second step")).to_be_visible()
    expect(page.locator("#passkey-verification-button")).to_be_visible()
    axe("second step")
    page.locator("#passkey-verification-button").click()

    expect(page.get_by_role("link", name="Account")).to_be_visible(timeout=TIMEOUT_MS)
    assert WebAuthnCredential.objects.get(user=member).last_used_at is not None


@pytest.fixture
def no_script_phone(chromium, live_server, member):
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([session_cookie(member, live_server.url)])
    page = context.new_page()
    yield page
    context.close()


def test_turn_on_the_app_without_javascript_at_390_px(no_script_phone, member, axe_as_served):
    page = no_script_phone
    page.goto(SECURITY)
    expect(page.get_by_text("Adding a passkey needs JavaScript")).to_be_visible()
    expect(page.get_by_role("link", name="Add a passkey")).to_be_hidden()
    axe_as_served(page, "security")
    page.get_by_role("link", name="Turn on an authenticator app").click()
    axe_as_served(page, "set up the app")
    key = page.locator("#security-key").inner_text()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("The 6-digit code the app shows now").fill("000000")
    page.get_by_role("button", name="Turn on the app").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe_as_served(page, "set up the app, wrong code")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("The 6-digit code the app shows now").fill(code_from_key(key))
    page.get_by_role("button", name="Turn on the app").click()
    expect(page.locator("#recovery-codes code")).to_have_count(10)
    axe_as_served(page, "recovery codes")

    page.goto("/app/account/security/passkeys/add/")
    expect(page.get_by_text("Adding a passkey needs JavaScript")).to_be_visible()
    axe_as_served(page, "add a passkey")
