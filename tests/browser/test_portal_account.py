"""My account, in a real browser: each form (profile with its photo preview, email, password,
time zone and privacy, notification preferences, log out everywhere, close), its error state,
390 px and 1366 px; axe-core on every state visited."""

import base64
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from notifications.models import NotificationPreference
from tests.browser.conftest import PHONE
from tests.factories import PASSWORD, UserFactory
from users.models import User
from users.notices import PROFESSIONAL_GRANTED

pytestmark = pytest.mark.browser

# A 1x1 PNG served for the photo URL (no network in tests).
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PHOTO = "https://photos.example/ada.png"


def portal_shot(page, name):
    """docs/screenshots/portal-<name>.png when PORTAL_SCREENSHOTS is set (make screenshots)."""
    directory = os.environ.get("PORTAL_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"portal-{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def member(transactional_db):
    return UserFactory(first_name="Ada", nickname="ada_l", time_zone="Europe/Paris")


@pytest.fixture
def as_member(page, member):
    page.route(PHOTO, lambda route: route.fulfill(status=200, content_type="image/png", body=PIXEL))
    page.goto("/app/login/")
    page.get_by_label("Email address").first.fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    return page


def test_edit_the_profile_with_a_photo_preview(as_member, axe, member, problems):
    problems.expect("status of 400")
    page = as_member
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1, name="Your profile")).to_be_visible()
    axe("profile")
    page.get_by_label("Photo URL").fill("https://photos.example/cv.pdf")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_role("alert")).to_contain_text("Image URL must end in")
    axe("profile, error")
    page.get_by_label("Photo URL").fill(PHOTO)
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("About you").fill("Engines and notes.")
    page.get_by_label("GitHub profile URL").fill("https://github.com/ada")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_role("img", name="Your photo")).to_have_attribute("src", PHOTO)
    assert page.get_by_role("img", name="Your photo").evaluate("img => img.naturalWidth") == 1
    axe("profile, saved")
    portal_shot(page, "account-profile")
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.last_name, fresh.github_profile_url) == ("Lovelace", "https://github.com/ada")


def test_change_email_settings_and_preferences(as_member, axe, member, mailoutbox):
    page = as_member
    page.goto("/app/account/email/")
    axe("email")
    page.get_by_label("New email address").fill("ada.new@example.com")
    page.get_by_role("button", name="Change my email address").click()
    expect(page.locator("#pending-email")).to_contain_text("ada.new@example.com")
    axe("email, pending")

    page.get_by_role("link", name="Time zone and privacy").click()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")
    axe("settings")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Show me to other members").check()
    page.get_by_role("button", name="Save my settings").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.time_zone, fresh.show_in_directory) == ("America/New_York", True)

    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Notifications").click()
    locked = page.get_by_role("group", name="Account locked")
    expect(locked.get_by_role("checkbox").first).to_be_disabled()
    expect(locked).to_contain_text("Always on")
    axe("preferences")
    portal_shot(page, "account-notifications")
    page.get_by_role("group", name="Professional status granted").get_by_label("By email").uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your notification choices are saved.")).to_be_visible()
    expect(page.get_by_role("group", name="Professional status granted").get_by_label("By email")).not_to_be_checked()
    assert NotificationPreference.objects.get(user=member, kind=PROFESSIONAL_GRANTED).email is False


def test_change_the_password_then_log_in_again(as_member, axe, member, problems):
    problems.expect("status of 400")
    page = as_member
    page.goto("/app/account/password/")
    axe("password")
    page.get_by_label("Current password").fill("Wrong*Pass1")
    page.get_by_label("New password").fill("Next*Pass42")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("alert")).to_contain_text("The current password is not correct.")
    axe("password, error")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("Next*Pass42")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Log in with the new password.")).to_be_visible()
    page.get_by_label("Email address").first.fill(member.email)
    page.get_by_label("Password").fill("Next*Pass42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()


def test_log_out_everywhere(as_member, axe, member):
    page = as_member
    page.goto("/app/account/sessions/")
    axe("sessions")
    page.get_by_role("main").get_by_role("button", name="Log out everywhere").click()
    expect(page.get_by_text("You are logged out everywhere")).to_be_visible()
    assert User.objects.get(pk=member.pk).token_version == member.token_version + 1


def test_close_the_account_at_390_px(as_member, axe, member, problems):
    problems.expect("status of 400")
    page = as_member
    page.set_viewport_size(PHONE)
    page.goto("/app/account/close/")
    axe("close, 390 px")
    page.get_by_label("Password").fill("Wrong*Pass1")
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_role("alert")).to_contain_text("The password is not correct.")
    axe("close, error, 390 px")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_text("Your account is closed")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    assert User.objects.get(pk=member.pk).closed_at is not None


@pytest.mark.parametrize(
    "path",
    ["/app/account/", "/app/account/settings/", "/app/account/notifications/"],
    ids=["profile", "settings", "prefs"],
)
def test_account_pages_fit_a_phone(as_member, axe, path):
    as_member.set_viewport_size(PHONE)
    as_member.goto(path)
    axe(f"{path}, 390 px")
