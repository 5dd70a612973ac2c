"""Swagger UI and ReDoc as a reader of the API documentation sees them."""

import json

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def open_authorize_dialog(page):
    page.goto("/docs")
    page.locator(".swagger-ui .auth-wrapper .btn.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_be_visible()
    return dialog


def test_swagger_authorize_offers_one_way_in(page, shot):
    dialog = open_authorize_dialog(page)
    shot("authorize")
    expect(dialog.locator(".auth-container")).to_have_count(1)
    expect(dialog.locator(".auth-container h4")).to_contain_text("OAuth2PasswordBearer (OAuth2, password)")
    expect(dialog.locator("button.modal-btn.authorize")).to_have_count(1)
    expect(dialog.locator("#oauth_username")).to_be_visible()
    expect(dialog.locator("#oauth_password")).to_be_visible()
    visible_fields = dialog.locator("input:visible, select:visible")
    expect(visible_fields).to_have_count(2)  # no client id, secret or credentials location


def test_swagger_authorize_then_try_it_out_on_the_user_list(page, admin_account, shot):
    members = UserFactory.create_batch(2)
    dialog = open_authorize_dialog(page)
    dialog.locator("#oauth_username").fill(admin_account.email)
    dialog.locator("#oauth_password").fill(PASSWORD)
    with page.expect_response("**/login/") as login:
        dialog.locator("button.modal-btn.authorize").click()
    assert login.value.status == 200
    expect(dialog.get_by_role("heading", name="Authorized")).to_be_visible()
    shot("authorized")
    dialog.get_by_role("button", name="Close").click()

    operation = page.locator(".opblock[id$='-users_list']")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda response: "/users/?" in response.url) as listing:
        operation.get_by_role("button", name="Execute").click()
    assert listing.value.status == 200
    assert listing.value.request.headers["authorization"].startswith("Bearer ")
    live = operation.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status").first).to_have_text("200")
    body = json.loads(live.locator(".highlight-code pre, .microlight").first.inner_text())
    assert body["total"] == 3
    assert {item["email"] for item in body["items"]} == {admin_account.email, *(m.email for m in members)}
    shot("try-it-out", full_page=True)


def test_swagger_try_it_out_without_authorizing_is_a_401(page, problems):
    problems.expect("status of 401 (Unauthorized)")
    page.goto("/docs")
    operation = page.locator(".opblock[id$='-users_list']")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text("401")


def test_redoc_renders_every_operation(page, shot):
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("Event Manager API")
    for summary in ("Log in (OAuth2 password flow)", "List users (paged with skip/limit)", "Update a user (partial)"):
        expect(page.get_by_role("heading", name=summary)).to_be_visible()
    expect(page.locator("img[alt='redocly logo']")).to_have_count(1)
    shot("redoc")
