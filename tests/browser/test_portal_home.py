"""The member pages' front door, in a real browser: accessible, strict CSP, phone and desktop."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SCREEN


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, SCREEN], ids=["390px", "1366px"])
def test_home_page_is_accessible_at_both_widths_and_in_both_schemes(page, axe, viewport, scheme):
    page.set_viewport_size(viewport)
    page.emulate_media(color_scheme=scheme)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="API documentation")).to_have_attribute("href", "/docs")
    axe(f"home {viewport['width']}px {scheme}")


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
