"""The events admin in a real browser: a manager reviews a colleague's event from the home
page's banner, and checks people in from the event's registrations."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events import services
from events.models import Event, EventStatus, Registration, RegistrationStatus
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_manager_approves_a_colleagues_event_from_the_banner(as_manager, manager_account, shot):
    colleague = UserFactory(manager=True)
    event = EventFactory(status=EventStatus.PENDING, created_by=colleague, submitted_by=colleague, title="Robot lab")
    EventFactory(status=EventStatus.PENDING, created_by=manager_account, submitted_by=manager_account)  # their own
    as_manager.goto("/admin/")
    as_manager.get_by_role("link", name="1 event waiting for your review").click()
    as_manager.get_by_role("link", name="Robot lab").click()
    as_manager.get_by_role("link", name="Approve…").click()
    as_manager.fill("#id_feedback", "Looks good.")
    shot("review")
    as_manager.get_by_role("button", name="Approve this event").click()
    expect(as_manager.locator("ul.messagelist")).to_contain_text("Approved 1 event.")
    expect(as_manager.get_by_role("link", name="Approve…")).to_have_count(0)
    event.refresh_from_db()
    assert (event.status, event.reviewed_by, event.review_feedback) == (
        EventStatus.APPROVED,
        manager_account,
        "Looks good.",
    )


def test_rejecting_without_feedback_asks_for_it(as_manager):
    colleague = UserFactory(manager=True)
    event = EventFactory(status=EventStatus.PENDING, created_by=colleague, submitted_by=colleague)
    as_manager.goto(f"/admin/events/event/{event.pk}/change/")
    as_manager.get_by_role("link", name="Reject with feedback…").click()
    as_manager.get_by_role("button", name="Reject this event").click()
    expect(as_manager.locator(".errorlist")).to_contain_text("Tell the creator what to change.")
    assert Event.objects.get(pk=event.pk).status == EventStatus.PENDING


def test_check_in_from_the_events_registrations(as_admin, shot):
    event = EventFactory(capacity=1, starts_at=timezone.now() + timedelta(hours=1))  # check-in is open
    seated, waiting = UserFactory(), UserFactory()
    for person in (seated, waiting):
        services.registration_create(actor=person, event_id=event.pk)
    as_admin.goto(f"/admin/events/event/{event.pk}/change/")
    inline = as_admin.locator("#registrations-group")
    expect(inline).to_contain_text("CONFIRMED")
    inline.locator("tr", has_text="CONFIRMED").locator("input[type=checkbox][name$=check_in]").check()
    shot("check-in")
    as_admin.locator("input[name=_continue]").click()
    expect(as_admin.locator("ul.messagelist")).to_contain_text("Checked in 1 person.")
    statuses = dict(Registration.objects.filter(event=event).values_list("user_id", "status"))
    assert statuses == {seated.pk: RegistrationStatus.ATTENDED, waiting.pk: RegistrationStatus.WAITLISTED}
