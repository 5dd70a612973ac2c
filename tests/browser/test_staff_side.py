"""The staff side as staff see it in Chromium (issue 17, items 7 and 8): the admin home's order,
lists that fit a 1366-px screen, an approval's audit trail on the event's page, the operator's
page, and Swagger on a 390-px phone."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from audit.services import audit_record
from core import throttling
from events import services
from events.models import EventStatus
from notifications import heartbeat
from notifications.models import OutgoingEmail
from notifications.registry import beat_schedule
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

from .conftest import PHONE

pytestmark = pytest.mark.browser

# A closed account's address (users.services.account_close): long, and without a place to break.
CLOSED = "closed-8f14e45fceea167a5a36dedd4bea2543@closed.invalid"


def fits(page, selector="#changelist .results"):
    """Neither the page nor the table's own scroll box is wider than the window."""
    page_overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    box_overflow = page.eval_on_selector(selector, "box => box.scrollWidth - box.clientWidth")
    return page_overflow, box_overflow


def test_the_admin_home_leads_with_users_events_and_registrations(as_admin, shot):
    as_admin.goto("/admin/")
    models = as_admin.locator("#content-main .module table tr[class^=model-]")
    expect(models.first).to_be_visible()
    order = [row.get_attribute("class").split()[0] for row in models.all()]
    shot("home")
    assert order[:3] == ["model-user", "model-event", "model-registration"]
    assert order[-2:] == ["model-blacklistedtoken", "model-outstandingtoken"]
    assert order.index("model-fanout") > order.index("model-outgoingemail")
    expect(as_admin.get_by_role("link", name="Operations")).to_be_visible()


def test_registrations_and_audit_lists_fit_1366_pixels(as_admin, shot):
    long_title = "An evening of very long titles about robotics, machine learning and the future of work"
    event = EventFactory(title=long_title, capacity=50)
    for number in range(3):
        person = UserFactory(email=f"{number}{CLOSED}", nickname=f"closed_8f14e45fceea167a5a3{number}")
        services.registration_create(actor=person, event_id=event.pk)
        audit_record(actor=person, action="user.account_closed", target=person, changes={"email": [CLOSED, None]})
    assert as_admin.viewport_size["width"] == 1366

    as_admin.goto("/admin/events/registration/")
    expect(as_admin.locator("#result_list")).to_contain_text(CLOSED)
    shot("registrations")
    assert fits(as_admin) == (0, 0)

    as_admin.goto("/admin/audit/auditevent/")
    expect(as_admin.locator("#result_list")).to_contain_text("user.account_closed")
    shot("audit")
    assert fits(as_admin) == (0, 0)


def test_an_approval_in_the_admin_shows_on_the_events_history(as_admin, shot, axe):
    manager = UserFactory(manager=True)
    event = EventFactory(title="Robot lab", status=EventStatus.PENDING, created_by=manager, submitted_by=manager)
    as_admin.goto(f"/admin/events/event/{event.pk}/change/")
    expect(as_admin.locator("#event-status")).to_have_text("Pending review")
    shot("event-page")
    as_admin.get_by_role("link", name="Approve…").click()
    expect(as_admin.locator("body")).not_to_have_class("delete-confirmation")
    assert "delete-confirmation" not in (as_admin.locator("body").get_attribute("class") or "")
    expect(as_admin.locator("h1")).to_have_text("Approve event")
    as_admin.fill("#id_feedback", "Looks good.")
    shot("approve")
    axe("the approve page")
    as_admin.get_by_role("button", name="Approve this event").click()
    expect(as_admin.locator("#event-status")).to_have_text("Approved")

    as_admin.get_by_role("link", name="History").click()
    trail = as_admin.locator("#event-audit-trail")
    expect(trail.locator("tbody tr")).to_have_count(1)
    expect(trail).to_contain_text("event.approved")
    expect(trail).to_contain_text("status: PENDING → APPROVED")
    expect(as_admin.locator("#change-history")).to_contain_text("Approved. Feedback: Looks good.")
    shot("history")
    axe("the event's history")

    as_admin.goto("/admin/")
    expect(as_admin.locator("#recent-actions-module")).to_contain_text("Robot lab")


def test_no_take_me_back_returns_to_the_event(as_admin):
    manager = UserFactory(manager=True)
    event = EventFactory(status=EventStatus.PENDING, created_by=manager, submitted_by=manager)
    as_admin.goto(f"/admin/events/event/{event.pk}/change/")
    as_admin.get_by_role("link", name="Reject with feedback…").click()
    as_admin.get_by_role("link", name="No, take me back").click()
    expect(as_admin).to_have_url(f"{as_admin.url.split('/admin/')[0]}/admin/events/event/{event.pk}/change/")


def test_the_operator_page(as_admin, shot, axe):
    manager = UserFactory(manager=True)
    EventFactory(
        title="Robot lab",
        status=EventStatus.PENDING,
        created_by=manager,
        submitted_by=manager,
        submitted_at=timezone.now() - timedelta(hours=5),
    )
    member = UserFactory()
    waiting = OutgoingEmail.objects.create(user=member, to_address=member.email, kind="users.password_changed")
    OutgoingEmail.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=12))
    heartbeat.beat()
    for name in beat_schedule():
        heartbeat.job_finished(name, succeeded=True)
    throttling.refusal_tally.flush()  # what earlier tests refused, then a clean count of one
    cache.delete(throttling.REFUSALS_KEY.format(timezone.localdate().isoformat()))
    throttling.count_refusal()
    as_admin.goto("/admin/")
    as_admin.get_by_role("link", name="Operations").click()
    expect(as_admin.locator("h1")).to_have_text("Operations")
    expect(as_admin.locator("#health-database")).to_contain_text("ok")
    expect(as_admin.locator("#health-worker")).to_contain_text("ok")
    expect(as_admin.locator("#outbox-pending")).to_contain_text("1")
    expect(as_admin.locator("#outbox-oldest")).to_contain_text("12 min ago")
    expect(as_admin.locator("#throttle-refusals")).to_contain_text("1")
    expect(as_admin.locator("#review-count")).to_have_text("1")
    expect(as_admin.get_by_role("link", name="Robot lab")).to_be_visible()
    assert fits(as_admin, "#content-main") == (0, 0)
    axe("the operator page")
    shot("operator", full_page=True)
    directory = os.environ.get("PORTAL_SCREENSHOTS")  # `make screenshots` sets it: docs/screenshots
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        as_admin.screenshot(path=str(Path(directory) / "operator.png"), full_page=True)


def test_swagger_on_a_phone(page, shot):
    page.set_viewport_size(PHONE)
    page.goto("/docs")
    tags = page.locator(".swagger-ui .opblock-tag")
    expect(tags.first).to_be_visible()
    descriptions = page.locator(".swagger-ui .opblock-tag small")
    expect(descriptions.first).to_be_visible()
    tags.nth(3).scroll_into_view_if_needed()
    shot("swagger-phone")
    for index in range(descriptions.count()):
        box = descriptions.nth(index).bounding_box()
        text = descriptions.nth(index).inner_text()
        assert box["width"] >= min(200, 8 * len(text)), f"{text!r} is squeezed to {box['width']:.0f}px"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    expect(page.locator(".swagger-ui .info .description")).to_contain_text("events")
    expect(page.locator(".swagger-ui .info .description")).to_contain_text("notifications")
