"""What staff see in the Django admin, in a real browser at 1366x768."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from users.models import User

from .conftest import admin_login

pytestmark = pytest.mark.browser
CHANGELIST = "/admin/users/user/"


def rows(page):
    return page.locator("#result_list tbody tr")


def row_for(page, user):
    return rows(page).filter(has=page.get_by_role("link", name=user.email, exact=True))


def test_admin_logs_in(page, admin_account, shot):
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    shot("login")
    admin_login(page, admin_account)
    expect(page.locator("#site-name")).to_have_text("Event Manager administration")
    expect(page.locator("#user-tools")).to_contain_text(admin_account.email, ignore_case=True)
    expect(page.locator("#users-user").get_by_role("link", name="Users")).to_be_visible()
    expect(page.get_by_role("link", name="Groups")).to_have_count(0)
    shot("index")


def test_wrong_password_gets_the_generic_message(page, admin_account):
    admin_login(page, admin_account, password="Wrong*Pass1")
    expect(page.locator(".errornote")).to_contain_text("Please enter the correct email address and password")
    expect(page).to_have_url(re.compile(r"/admin/login/"))


def test_unverified_manager_is_told_why(page, shot):
    manager = UserFactory(manager=True, email_verified=False)
    admin_login(page, manager)
    expect(page.locator(".errornote")).to_contain_text("not verified yet")
    shot("unverified")


def test_user_list_fits_a_1366_px_screen(as_admin, shot):
    UserFactory.create_batch(30, last_login_at="2026-11-20T09:30:00Z")
    UserFactory(email="a.rather.long.address.for.someone@subdomain.example.com", nickname="a_long_nickname_here_1")
    as_admin.goto(CHANGELIST)
    shot("changelist")
    assert as_admin.evaluate("document.documentElement.scrollWidth") <= 1366
    results = as_admin.locator("#changelist .results")
    overflow = results.evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow <= 0, f"the user list needs {overflow} px more than the screen gives it"
    expect(as_admin.locator("#result_list tbody tr").first.locator("td.field-joined")).to_be_visible()
    headers = as_admin.locator("#result_list thead th").all_inner_texts()
    assert [h.strip().lower() for h in headers[1:]] == [
        "email address",
        "nickname",
        "role",
        "verified",
        "locked",
        "pro",
        "last login",
        "joined",
    ]


def test_search_and_filter(as_admin, shot):
    target = UserFactory(email="quintessa@example.com", first_name="Quintessa", nickname="zebra_rider")
    manager = UserFactory(manager=True, email="boss@example.com")
    UserFactory.create_batch(5)
    as_admin.goto(CHANGELIST)
    as_admin.fill("#searchbar", "zebra_rider")
    as_admin.press("#searchbar", "Enter")
    expect(rows(as_admin)).to_have_count(1)
    expect(row_for(as_admin, target)).to_be_visible()
    shot("search")

    as_admin.goto(CHANGELIST)
    as_admin.locator("#changelist-filter").get_by_role("link", name="Manager", exact=True).click()
    expect(as_admin).to_have_url(re.compile(r"role__exact=MANAGER"))
    expect(rows(as_admin)).to_have_count(1)
    expect(row_for(as_admin, manager)).to_contain_text("Manager")
    shot("filter")


def test_lock_action_and_its_message(as_admin, shot):
    members = [UserFactory(email=f"to.lock.{n}@example.com") for n in range(2)]
    already = UserFactory(locked=True, email="already.locked@example.com")
    bystander = UserFactory(email="bystander@example.com")
    as_admin.goto(CHANGELIST)
    for user in (*members, already):
        row_for(as_admin, user).locator("input.action-select").check()
    as_admin.select_option("select[name=action]", "lock_users")
    as_admin.click("button[name=index]")
    expect(as_admin.locator("ul.messagelist")).to_have_text("Locked 2 users; 1 was already locked.")
    shot("locked")
    assert set(User.objects.filter(is_locked=True).values_list("email", flat=True)) == {
        *(m.email for m in members),
        already.email,
    }
    assert not User.objects.get(pk=bystander.pk).is_locked
    as_admin.goto(f"/admin/users/user/{members[0].pk}/history/")
    expect(as_admin.locator("#change-history")).to_contain_text("Locked: no → yes")


def test_show_all_and_clear_filters(as_admin, shot):
    UserFactory.create_batch(55)
    as_admin.goto(CHANGELIST)
    expect(rows(as_admin)).to_have_count(50)
    expect(as_admin.locator("#changelist-search")).to_contain_text("56 results")
    expect(as_admin.get_by_role("link", name="Clear search and filters")).to_have_count(0)
    as_admin.get_by_role("link", name="Show all").click()
    expect(rows(as_admin)).to_have_count(56)
    shot("all")

    as_admin.goto(CHANGELIST + "?is_locked__exact=1")
    expect(rows(as_admin)).to_have_count(0)
    as_admin.get_by_role("link", name="Clear search and filters").click()
    expect(rows(as_admin)).to_have_count(50)


def test_manager_cannot_open_an_admins_password_form(as_manager, admin_account, problems, shot):
    as_manager.goto(f"/admin/users/user/{admin_account.pk}/change/")
    expect(as_manager.locator("#content")).to_contain_text(admin_account.email)
    expect(as_manager.get_by_role("button", name="Save")).to_have_count(0)

    # Chromium logs the document's own 403 status; the page itself has no error.
    problems.expect("status of 403 (Forbidden)")
    response = as_manager.goto(f"/admin/users/user/{admin_account.pk}/password/")
    assert response.status == 403
    expect(as_manager.locator("#site-name")).to_have_text("Event Manager administration")
    expect(as_manager.locator(".errornote")).to_contain_text("Managers cannot change, delete or set the password")
    shot("forbidden")
    as_manager.get_by_role("link", name="Back to the list of users").click()
    expect(as_manager).to_have_url(re.compile(re.escape(CHANGELIST) + "$"))


def test_manager_sees_no_role_actions(as_manager):
    as_manager.goto(CHANGELIST)
    options = as_manager.locator("select[name=action] option").all_inner_texts()
    assert "Lock selected users" in options
    assert not [option for option in options if option.startswith("Set role")]
