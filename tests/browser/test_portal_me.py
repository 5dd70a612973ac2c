"""My events and notifications in a real browser: empty and full states, the calendar feed
(make, copy, reset), marking notifications read in place; axe on every state."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.models import CalendarFeedToken, Registration, RegistrationStatus
from notifications.models import Notification
from tests.browser.conftest import portal_shot
from tests.events.conftest import EventFactory

pytestmark = pytest.mark.browser


def test_my_events_and_the_calendar_feed(as_member, member, axe):
    page = as_member
    page.goto("/app/my-events/")
    expect(page.get_by_text("You are not registered for any upcoming event.")).to_be_visible()
    axe("my events, empty")

    seat, waiting = EventFactory(title="Robotics tour"), EventFactory(title="Mock interviews")
    Registration.objects.create(event=seat, user=member, status=RegistrationStatus.CONFIRMED)
    Registration.objects.create(event=waiting, user=member, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    page.reload()
    expect(page.get_by_text("Seat confirmed")).to_be_visible()
    expect(page.get_by_text("Waiting list: number 1")).to_be_visible()
    axe("my events, full")

    page.get_by_role("button", name="Make my feed address").click()
    address = page.get_by_label("Your calendar feed address")
    expect(address).to_be_visible()
    first = address.input_value()
    assert "/users/me/events.ics?token=" in first
    expect(page.get_by_role("button", name="Copy the address")).to_be_visible()
    axe("my events, feed made")
    portal_shot(page, "my-events")

    page.get_by_role("button", name="Reset the address").click()
    expect(page.get_by_role("status").filter(has_text="calendar feed address is ready")).to_be_visible()
    expect(page.get_by_label("Your calendar feed address")).not_to_have_value(first)
    page.get_by_role("button", name="Turn the feed off").click()
    expect(page.get_by_text("Your calendar feed is off")).to_be_visible()
    assert not CalendarFeedToken.objects.filter(user=member).exists()
    axe("my events, feed off")


def test_notifications_read_one_and_all_in_place(as_member, member, axe):
    page = as_member
    page.goto("/app/notifications/")
    expect(page.get_by_text("No notifications yet.")).to_be_visible()
    axe("notifications, empty")

    event = EventFactory(title="Robotics tour")
    for title in ("Registration confirmed: Robotics tour", "Time changed: Robotics tour", "Reminder: tomorrow"):
        Notification.objects.create(recipient=member, kind="events.changed", title=title, link=f"/events/{event.pk}")
    Notification.objects.create(recipient=member, kind="events.changed", title="Old news", read_at=timezone.now())
    page.reload()
    expect(page.locator("#nav-notifications .badge")).to_contain_text("3")
    axe("notifications, full")
    portal_shot(page, "notifications")

    page.get_by_role("button", name=re.compile("Mark as read.*Reminder: tomorrow")).click()
    expect(page.get_by_text("Marked as read.")).to_be_visible()
    expect(page.locator("#nav-notifications .badge")).to_contain_text("2")
    axe("notifications, one read")

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("status").filter(has_text="Marked 2 notifications as read.")).to_be_visible()
    expect(page.locator("#nav-notifications .badge")).to_have_count(0)
    axe("notifications, all read")

    page.get_by_role("link", name="Time changed: Robotics tour").click()
    expect(page).to_have_url(f"{page.url.split('/app/')[0]}/app/events/{event.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Robotics tour")
