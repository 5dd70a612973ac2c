"""A real browser (Debian's chromium, driven by Playwright) against a live server.

Every page a test opens is watched: a console error, an uncaught exception or a
Content-Security-Policy violation fails the test. Set BROWSER_SCREENSHOTS=<dir> to
keep a screenshot of each step.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from tests.factories import PASSWORD, UserFactory

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREEN = {"width": 1366, "height": 768}
# Generous: the machine running CI may be busy; a passing check returns at once.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)
# Reported by the page itself, so violations show up even where Chromium would not log them.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`);
});
"""


@pytest.fixture(scope="package")
def chromium():
    """One browser for the package. While Playwright's sync API is open it keeps an asyncio
    loop running in this thread, which Django's ORM would take for async code; the ORM
    calls made meanwhile (fixtures, assertions) are plain synchronous ones, so the check is
    lifted for exactly that long."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"The browser tests need Debian's chromium at {CHROMIUM}: run `make chromium` "
            "(apt-get install chromium, as root) or set CHROMIUM=/path/to/chromium.",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Problems(list):
    """Console errors, uncaught exceptions and CSP violations seen by one page."""

    def __init__(self):
        super().__init__()
        self.expected = set()

    def expect(self, *fragments):
        """Errors a test provokes on purpose: each must occur, and is then not a problem."""
        self.expected.update(fragments)

    def unexpected(self):
        missing = [fragment for fragment in self.expected if not any(fragment in problem for problem in self)]
        assert not missing, f"expected console errors containing {missing}, got {list(self)}"
        return [problem for problem in self if not any(fragment in problem for fragment in self.expected)]


@pytest.fixture
def problems():
    return Problems()


@pytest.fixture
def page(chromium, live_server, transactional_db, problems, request):
    context = chromium.new_context(viewport=SCREEN, base_url=live_server.url)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    yield page
    context.close()
    assert problems.unexpected() == [], f"{request.node.name}: console errors or CSP violations"


@pytest.fixture
def shot(page, request):
    """`shot("name")`: a screenshot of the page, kept when BROWSER_SCREENSHOTS is set."""
    directory = os.environ.get("BROWSER_SCREENSHOTS")

    def take(name, **kwargs):
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(directory) / f"{request.node.name}-{name}.png"), **kwargs)

    return take


@pytest.fixture
def admin_account(transactional_db):
    return UserFactory(admin=True, email="admin.user@example.com", nickname="admin_user")


@pytest.fixture
def manager_account(transactional_db):
    return UserFactory(manager=True, email="manager.user@example.com", nickname="manager_user")


def admin_login(page, user, password=PASSWORD):
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


@pytest.fixture
def as_admin(page, admin_account):
    admin_login(page, admin_account)
    page.wait_for_selector("text=Community records")
    return page


@pytest.fixture
def as_manager(page, manager_account):
    admin_login(page, manager_account)
    page.wait_for_selector("text=Community records")
    return page


PHONE = {"width": 390, "height": 844}
_axe = Axe()


def assert_accessible(page, *, context=""):
    """axe-core (WCAG 2.0/2.1/2.2 A and AA rules, and best practices) finds nothing on the
    page as it is now, and nothing scrolls sideways at the page's width."""
    results = _axe.run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
            }
        },
    )
    assert results.violations_count == 0, f"{context or page.url}: {results.generate_report()}"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{context or page.url}: scrolls sideways by {overflow}px"


@pytest.fixture
def axe(page):
    """`axe()` checks the page open now (see assert_accessible)."""
    return lambda context="": assert_accessible(page, context=context)


SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)


@pytest.fixture
def axe_as_served(chromium, live_server):
    """`axe_as_served(no_script_page, context)`: axe on what a page opened with JavaScript off
    shows now. axe needs JavaScript, which that page cannot run: its HTML (`page.content()`,
    every script removed so nothing changes it) is served at the same URL to a page with
    JavaScript on, at the same size and with the same stylesheets, and checked there."""
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)

    def check(no_script_page, context_name=""):
        url, html = no_script_page.url, SCRIPT.sub("", no_script_page.content())
        served = []

        def serve(route):
            served.append(route.request.url)
            route.fulfill(content_type="text/html", body=html)

        page = context.new_page()
        page.set_viewport_size(no_script_page.viewport_size)
        page.route(lambda requested: requested == url, serve)
        page.goto(url)
        assert served == [url], f"{url} was not served from the captured page"
        assert_accessible(page, context=f"{context_name or url} (JavaScript off)")
        page.close()

    yield check
    context.close()


def session_cookie(user, base_url):
    """The cookie of a session logged in as `user` (the log-in page's own journey is tested
    in test_portal_join.py; other journeys start signed in)."""
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


def portal_shot(page, name):
    """docs/screenshots/portal-<name>.png when PORTAL_SCREENSHOTS is set (make screenshots).
    The caret stays: Playwright hides it with an injected style, which the strict CSP refuses."""
    directory = os.environ.get("PORTAL_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"portal-{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def member(transactional_db):
    return UserFactory(nickname="jane_doe", time_zone="Europe/Paris")


@pytest.fixture
def as_member(page, member, live_server):
    """The page, signed in as `member` (modules with a journey of their own override it)."""
    page.context.add_cookies([session_cookie(member, live_server.url)])
    return page
