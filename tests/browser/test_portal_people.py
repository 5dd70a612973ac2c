"""Meet people in a real browser: empty, full, a search with no match, a search in error;
axe on every state, at both widths."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SCREEN, portal_shot, session_cookie
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def as_member(page, live_server, transactional_db):
    page.context.add_cookies([session_cookie(UserFactory(), live_server.url)])
    return page


@pytest.mark.parametrize("viewport", [PHONE, SCREEN], ids=["390px", "1366px"])
def test_meet_people(as_member, axe, problems, viewport):
    page = as_member
    page.set_viewport_size(viewport)
    page.goto("/app/people/")
    expect(page.get_by_text("Nobody has chosen to be listed yet.")).to_be_visible()
    axe("people, empty")

    UserFactory(
        nickname="ada_l",
        first_name="Ada",
        last_name="Lovelace",
        bio="Analytical engines, notes and the first published algorithm.",
        is_professional=True,
        show_in_directory=True,
        linkedin_profile_url="https://www.linkedin.com/in/ada",
        github_profile_url="https://github.com/ada",
    )
    UserFactory(nickname="grace_h", first_name="Grace", last_name="Hopper", bio="Compilers.", show_in_directory=True)
    page.reload()
    expect(page.get_by_role("heading", name="2 members")).to_be_visible()
    expect(page.get_by_role("link", name="LinkedIn profile of ada_l")).to_be_visible()
    axe("people, full")
    if viewport == SCREEN:
        portal_shot(page, "people")

    page.get_by_label("Search people").fill("compilers")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 member matching “compilers”")).to_be_visible()
    page.get_by_label("Search people").fill("nobody like this")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("Nobody listed matches")).to_be_visible()
    axe("people, no match")

    problems.expect("status of 400")
    page.goto("/app/people/?q=" + "x" * 101)
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe("people, error")
