"""Joining and signing in, in a real browser: sign up → "check your email" → the emailed link →
verified → log in; a new link; a forgotten password; locked and unverified log-ins told why;
sign-up and log-in with JavaScript off at 390 px (axe needs script: it checks the same pages
with JavaScript on); axe-core on every state visited."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from notifications.messages import DIGEST_KIND
from notifications.models import NotificationPreference
from notifications.registry import DAILY
from notifications.unsubscribe import unsubscribe_token
from tests.browser.conftest import PHONE, TIMEOUT_MS
from tests.factories import PASSWORD, UserFactory
from users.models import Role, User

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Fresh*Start42"


@pytest.fixture(autouse=True)
def _quick_lookups(settings):
    settings.ACCOUNT_LOOKUP_MIN_SECONDS = 0


def portal_shot(page, name):
    """docs/screenshots/portal-<name>.png when PORTAL_SCREENSHOTS is set (make screenshots)."""
    directory = os.environ.get("PORTAL_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"portal-{name}.png"), full_page=True, caret="initial")


def emailed_path(mail, pattern):
    """The path of the link in an email (the live server's address differs from SERVER_BASE_URL)."""
    return re.search(re.escape(settings.SERVER_BASE_URL) + pattern, mail.body).group(1)


VERIFY = r"(/verify-email/[0-9a-f-]+/[^\s]+)"
RESET = r"(/reset/[^\s]+/)"


def test_join_sign_up_check_your_email_verify_and_log_in(page, axe, mailoutbox, problems):
    problems.expect("status of 400")  # the form in error is a 400 page
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1, name="Join the community")).to_be_visible()
    expect(page.get_by_text("at least 8 characters")).to_be_visible()  # the rules, before submitting
    expect(page.get_by_label("Time zone")).not_to_have_value("")  # proposed by the browser (portal.js)
    axe("sign up, empty")
    portal_shot(page, "signup")

    page.get_by_label("Email address").fill("new.member@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create my account").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    axe("sign up, error")

    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_label("Nickname").fill("new_member")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("new.member@example.com")).to_be_visible()
    axe("check your email")
    portal_shot(page, "check-your-email")

    [mail] = mailoutbox
    link = emailed_path(mail, VERIFY)
    page.goto(link)
    expect(page.get_by_role("heading", name="Your email address is verified")).to_be_visible()
    axe("verified")
    page.goto(link)
    expect(page.get_by_role("heading", name="Your email address is already verified")).to_be_visible()
    axe("already verified")

    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Email address").first.fill("new.member@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    user = User.objects.get(email="new.member@example.com")
    assert (user.role, user.nickname) == (Role.AUTHENTICATED, "new_member")
    assert user.time_zone  # what the browser proposed


def test_a_broken_link_offers_a_new_one_and_the_answer_reveals_nothing(page, axe, mailoutbox, problems):
    problems.expect("status of 400")  # a broken link's page
    user = UserFactory(unverified=True)
    page.goto(f"/verify-email/{user.pk}/1-abc")
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    axe("broken link")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.get_by_role("status")).to_contain_text("a new link is on its way")
    axe("new link sent")
    assert [m.to for m in mailoutbox] == [[user.email]]
    page.goto(emailed_path(mailoutbox[0], VERIFY))
    expect(page.get_by_role("heading", name="Your email address is verified")).to_be_visible()


def test_a_forgotten_password_ends_at_the_member_login(page, axe, mailoutbox):
    # Django's reset view answers its form in error with a 200.
    user = UserFactory(locked=True)
    page.goto("/app/login/")
    axe("login, empty")
    portal_shot(page, "login")
    page.get_by_role("link", name="Forgotten your password?").click()
    axe("forgotten password")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    axe("reset link sent")

    page.goto(emailed_path(mailoutbox[0], RESET))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    axe("choose a new password")
    page.get_by_label("New password", exact=True).fill("Brand*New42")
    page.get_by_label("New password confirmation").fill("Brand*New42x")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    axe("choose a new password, error")
    page.get_by_label("New password", exact=True).fill("Brand*New42")
    page.get_by_label("New password confirmation").fill("Brand*New42")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()
    axe("password set")
    page.get_by_role("main").get_by_role("link", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile("/app/login/$"))
    page.get_by_label("Email address").first.fill(user.email)
    page.get_by_label("Password").fill("Brand*New42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()  # the reset unlocked it


def test_unverified_and_locked_log_ins_are_told_why(page, axe, problems, settings):
    settings.MAX_LOGIN_ATTEMPTS = 2
    problems.expect("status of 403", "status of 401", "status of 423")
    unverified, member = UserFactory(unverified=True), UserFactory()
    page.goto("/app/login/")
    page.get_by_label("Email address").first.fill(unverified.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not verified yet")
    expect(page.get_by_role("heading", name="Get a new verification link")).to_be_visible()
    axe("login, unverified")
    portal_shot(page, "login-unverified")

    for _ in range(2):
        page.get_by_label("Email address").first.fill(member.email)
        page.get_by_label("Password").fill("Wrong*Pass1")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password.")
    axe("login, wrong password")
    page.get_by_label("Email address").first.fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Account locked")
    expect(page.get_by_role("link", name="choose a new password")).to_be_visible()
    axe("login, locked")


def test_log_in_with_the_keyboard_alone(page):
    member = UserFactory()
    page.goto("/app/login/")
    page.get_by_label("Email address").first.focus()
    page.keyboard.type(member.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are logged out.")).to_be_visible()


@pytest.fixture
def no_script_phone(chromium, live_server, transactional_db):
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_sign_up_and_log_in_without_javascript_at_390_px(no_script_phone, mailoutbox, axe_as_served):
    """Every page of the journey, its error states included, passes axe as served without JavaScript."""
    page = no_script_phone
    page.goto("/app/signup/")
    axe_as_served(page, "sign up")
    page.get_by_label("Email address").fill("phone.member@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe_as_served(page, "sign up, error")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    axe_as_served(page, "check your email")

    page.goto(emailed_path(mailoutbox[0], VERIFY))
    expect(page.get_by_role("heading", name="Your email address is verified")).to_be_visible()
    axe_as_served(page, "email verified")
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    axe_as_served(page, "log in")
    page.get_by_label("Email address").first.fill("phone.member@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Incorrect email or password")).to_be_visible()
    axe_as_served(page, "log in, error")
    page.get_by_label("Email address").first.fill("phone.member@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    axe_as_served(page, "signed in")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert User.objects.get(email="phone.member@example.com").time_zone == settings.TIME_ZONE  # nothing proposed


def test_the_digests_one_click_unsubscribe_page_before_and_after(page, axe, transactional_db):
    """The page the digest's List-Unsubscribe link opens, without a login: it lists what one click
    does, and after the click what it did."""
    member = UserFactory()
    for kind in ("users.professional_granted", "events.registration_confirmed"):
        NotificationPreference.objects.create(user=member, kind=kind, digest=DAILY)
    page.goto(f"/app/unsubscribe/{unsubscribe_token(user_id=member.pk, kind=DIGEST_KIND)}/")
    expect(page.get_by_role("heading", name="Stop the daily digest")).to_be_visible()
    expect(page.get_by_text("Professional status granted")).to_be_visible()
    axe("digest unsubscribe, asking")
    page.get_by_role("button", name="Stop the digest").click()
    expect(page.get_by_role("heading", name="You are unsubscribed from the daily digest")).to_be_visible()
    axe("digest unsubscribe, done")
    assert not NotificationPreference.objects.get(user=member, kind="users.professional_granted").email
