"""Find and register, in a real browser: the list (empty, full, error), an event page, registering
and cancelling in place (htmx), the waiting list, with JavaScript off at 390 px, and with the
keyboard alone. axe-core checks every state the journey visits."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.models import EventKind, Registration, RegistrationStatus
from tests.browser.conftest import PHONE, SCREEN, TIMEOUT_MS, portal_shot, session_cookie
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_find_register_and_cancel_in_place(as_member, axe, problems):
    page = as_member
    page.goto("/app/events/")
    expect(page.get_by_role("heading", name="0 events")).to_be_visible()
    axe("events, empty")

    EventFactory(title="Acme robotics tour", kind=EventKind.COMPANY_TOUR, pro_only=True)
    EventFactory(
        title="Interview practice", kind=EventKind.MOCK_INTERVIEW, location="", online_url="https://meet.example.com/r"
    )
    event = EventFactory(
        title="Guest lecture: compilers",
        description="Parsing, then questions.",
        requirements="Bring a laptop.",
        online_url="https://meet.example.com/compilers",
    )
    page.goto("/app/events/")
    expect(page.get_by_role("heading", name="3 events")).to_be_visible()
    expect(page.get_by_text("Professional members only")).to_be_visible()
    axe("events, full")
    portal_shot(page, "events")

    page.get_by_label("Search").fill("compilers")
    page.get_by_role("button", name="Find events").click()
    expect(page.get_by_role("heading", name="1 event")).to_be_visible()
    page.get_by_role("link", name="Guest lecture: compilers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guest lecture: compilers")
    expect(page.get_by_text("compilers", exact=False).first).to_be_visible()
    expect(page.get_by_role("link", name="https://meet.example.com/compilers")).to_have_count(0)
    axe("event, not registered")

    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("your seat is confirmed")
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your place")).to_be_focused()
    expect(page.locator("#nav-notifications .badge")).to_contain_text("1")
    assert page.evaluate("window.stillTheSamePage") is True
    assert Registration.objects.get(event=event).status == RegistrationStatus.CONFIRMED
    page.reload()
    expect(page.get_by_role("link", name="https://meet.example.com/compilers")).to_be_visible()
    axe("event, registered")
    portal_shot(page, "event-registered")

    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("button", name="Cancel my registration").click()
    expect(page.get_by_role("status")).to_contain_text("Your registration is cancelled.")
    expect(page.get_by_role("button", name="Register")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    assert Registration.objects.get(event=event).status == RegistrationStatus.CANCELLED
    axe("event, cancelled registration")


def test_a_full_event_puts_me_on_the_waiting_list(as_member, axe):
    page = as_member
    event = EventFactory(title="Tiny workshop", capacity=1)
    Registration.objects.create(event=event, user=UserFactory(), status=RegistrationStatus.CONFIRMED)
    event.seats_taken = 1
    event.save()
    page.goto(f"/app/events/{event.slug}/")
    expect(page.get_by_text("Waiting list").first).to_be_visible()
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("You are number 1 on the waiting list", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Leave the waiting list")).to_be_visible()
    axe("event, waiting list")
    portal_shot(page, "event-waiting-list")


def test_a_refusal_is_shown_in_place(as_member, axe, problems):
    problems.expect("status of 400")
    page = as_member
    event = EventFactory(title="Pros only", pro_only=True)
    page.goto(f"/app/events/{event.slug}/")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("This event is for professional members only.")
    axe("event, refused")


def test_bad_filters_show_the_error_summary(as_member, axe, problems):
    problems.expect("status of 400")
    page = as_member
    page.goto("/app/events/?start=2027-02-01&end=2027-01-01")
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    page.get_by_role("link", name="The last day must be on or after the first day.").click()
    axe("events, error")


def test_a_visitor_sees_the_event_and_is_asked_to_log_in(page, axe, transactional_db):
    event = EventFactory(title="Open lecture", time_zone="America/New_York")
    page.goto(f"/app/events/{event.slug}/")
    expect(page.get_by_text("(America/New_York)")).to_be_visible()
    link = page.get_by_role("link", name="Log in to register")
    expect(link).to_have_attribute("href", f"/app/login/?next=/app/events/{event.slug}/")
    axe("event, visitor")


@pytest.fixture
def no_script_page(chromium, live_server, transactional_db, member):
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([session_cookie(member, live_server.url)])
    page = context.new_page()
    yield page
    context.close()


def test_register_and_cancel_without_javascript_on_a_phone(no_script_page, axe_as_served):
    """Every page of the journey passes axe as served without JavaScript."""
    page = no_script_page
    event = EventFactory(title="Phone-friendly tour")
    page.goto("/app/events/")
    axe_as_served(page, "events")
    page.get_by_role("link", name="Phone-friendly tour").click()
    axe_as_served(page, "event")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(f"/app/events/{event.slug}/$"))
    expect(page.get_by_text("You are registered: your seat is confirmed.")).to_be_visible()
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    axe_as_served(page, "event, registered")
    assert Registration.objects.get(event=event).status == RegistrationStatus.CONFIRMED
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.get_by_role("button", name="Cancel my registration").click()
    expect(page.get_by_text("Your registration is cancelled.")).to_be_visible()
    axe_as_served(page, "event, cancelled")
    assert Registration.objects.get(event=event).status == RegistrationStatus.CANCELLED


def test_phone_width_is_accessible(as_member, axe):
    page = as_member
    page.set_viewport_size(PHONE)
    event = EventFactory(title="A lecture with a rather long title that has to wrap on a phone screen")
    page.goto("/app/events/")
    axe("events, 390px")
    page.goto(f"/app/events/{event.slug}/")
    axe("event, 390px")
    portal_shot(page, "event-phone")
    page.set_viewport_size(SCREEN)


def test_keyboard_only_registration(as_member):
    page = as_member
    event = EventFactory(title="Keyboard lecture")
    page.goto(f"/app/events/{event.slug}/")
    register = page.get_by_role("button", name="Register")
    for _ in range(40):
        page.keyboard.press("Tab")
        if register.evaluate("element => element === document.activeElement"):
            break
    expect(register).to_be_focused()
    outline = register.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none", "the focused button shows no outline"
    page.keyboard.press("Enter")
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your place")).to_be_focused()
    assert Registration.objects.get(event=event).status == RegistrationStatus.CONFIRMED


def test_the_calendar_file_downloads(as_member):
    page = as_member
    event = EventFactory(title="Calendar lecture", starts_at=timezone.now() + timedelta(days=3))
    page.goto(f"/app/events/{event.slug}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the calendar file (.ics)").click()
    assert download.value.suggested_filename == f"{event.slug}.ics"
    assert b"SUMMARY:Calendar lecture" in Path(download.value.path()).read_bytes()
