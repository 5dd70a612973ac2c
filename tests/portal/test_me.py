"""My events (registrations, the calendar feed) and notifications, through the test client:
rules, plain and htmx forms, 4xx, and fixed query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import CalendarFeedToken, EventStatus, Registration, RegistrationStatus
from notifications.models import Notification
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

MY_EVENTS = reverse("portal:my-events")
FEED = reverse("portal:calendar-feed")
INBOX = reverse("portal:notifications")
READ_ALL = reverse("portal:notifications-read-all")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def member(db):
    return UserFactory(time_zone="Asia/Tokyo")


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


def past_event(**kwargs):
    starts = timezone.now() - timedelta(days=10)
    return EventFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), **kwargs)


@pytest.mark.parametrize("url", [MY_EVENTS, INBOX, reverse("portal:people")])
def test_member_pages_send_visitors_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_upcoming_and_past_registrations_with_their_status(as_member, member):
    seat = EventFactory(title="Seat event")
    waiting = EventFactory(title="Waiting event")
    gone = EventFactory(title="Cancelled event", status=EventStatus.CANCELLED)
    attended = past_event(title="Attended event")
    Registration.objects.create(event=seat, user=member, status=RegistrationStatus.CONFIRMED)
    Registration.objects.create(event=waiting, user=member, status=RegistrationStatus.WAITLISTED, waitlist_position=3)
    Registration.objects.create(event=gone, user=member, status=RegistrationStatus.CONFIRMED)
    Registration.objects.create(event=attended, user=member, status=RegistrationStatus.ATTENDED)
    Registration.objects.create(event=EventFactory(title="Not mine"), user=UserFactory(), status="CONFIRMED")
    html = as_member.get(MY_EVENTS).content.decode()
    upcoming, past = html.split("Past events")
    assert "Seat event" in upcoming and "Seat confirmed" in upcoming
    assert "Waiting event" in upcoming and "Waiting list: number 1" in upcoming
    assert "Cancelled event" in upcoming and "Event cancelled" in upcoming
    assert "Attended event" in past and "Attended" in past
    assert "Not mine" not in html
    assert "Asia/Tokyo" in html


def test_empty_my_events(as_member):
    html = as_member.get(MY_EVENTS).content.decode()
    assert "You are not registered for any upcoming event." in html and "No past events yet." in html
    assert "You have no feed address yet." in html


@pytest.mark.parametrize("rows", [1, 25])
def test_my_events_costs_the_same_queries_whatever_the_rows(as_member, member, django_assert_num_queries, rows):
    for _ in range(rows):
        Registration.objects.create(event=EventFactory(), user=member, status=RegistrationStatus.CONFIRMED)
        Registration.objects.create(event=past_event(), user=member, status=RegistrationStatus.CONFIRMED)
    # session, user, upcoming, past count, past page, feed token, unread count
    with django_assert_num_queries(7):
        response = as_member.get(MY_EVENTS)
    assert response.status_code == 200 and len(response.content) < 30_000


def test_the_calendar_feed_without_javascript_shows_the_address_once(as_member, member, client):
    response = as_member.post(FEED, {"action": "create"})
    assert response.status_code == 302 and response["Location"].endswith("#calendar-feed")
    html = as_member.get(MY_EVENTS).content.decode()
    assert "/users/me/events.ics?token=" in html and "data-copy-target" in html
    token = html.split("events.ics?token=")[1].split('"')[0]
    assert CalendarFeedToken.objects.filter(user=member).exists()
    again = as_member.get(MY_EVENTS).content.decode()
    assert token not in again and "You have a feed address" in again
    client.logout()
    feed = client.get(f"/users/me/events.ics?token={token}")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")


def test_resetting_the_feed_with_htmx_stops_the_old_address(as_member, member, client):
    first = as_member.post(FEED, {"action": "create"}, headers=HTMX).content.decode()
    old = first.split("events.ics?token=")[1].split('"')[0]
    assert first.lstrip().startswith('<section id="calendar-feed"')
    second = as_member.post(FEED, {"action": "create"}, headers=HTMX).content.decode()
    new = second.split("events.ics?token=")[1].split('"')[0]
    assert new != old
    assert client.get(f"/users/me/events.ics?token={old}").status_code in (401, 403, 404)
    off = as_member.post(FEED, {"action": "revoke"}, headers=HTMX).content.decode()
    assert "Your calendar feed is off" in off and not CalendarFeedToken.objects.filter(user=member).exists()


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_bad_feed_action_is_a_400(as_member, headers):
    response = as_member.post(FEED, {"action": "explode"}, headers=headers)
    assert response.status_code == 400
    assert "Choose to make a new address or to turn the feed off." in response.content.decode()


# --- notifications ---------------------------------------------------------------------------


def notification(recipient, title="Something happened", link="", read=False, age=0):
    note = Notification.objects.create(
        recipient=recipient,
        kind="events.changed",
        title=title,
        body="Details.",
        link=link,
        read_at=timezone.now() if read else None,
    )
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=age))
    return note


def test_the_inbox_lists_unread_first_and_links_to_pages(as_member, member):
    event = EventFactory()
    notification(member, "Old and read", read=True, age=1)
    notification(member, "Newer unread", link=f"/events/{event.pk}", age=5)
    notification(member, "Account note", link="/users/me", age=10)
    notification(UserFactory(), "Somebody else's")
    html = as_member.get(INBOX).content.decode()
    assert html.index("Newer unread") < html.index("Account note") < html.index("Old and read")
    assert "Somebody else's" not in html
    assert reverse("portal:event-by-id", kwargs={"event_id": event.pk}) in html
    assert f'href="{reverse("portal:account")}"' in html
    assert '<span class="badge">2' in html


def test_empty_inbox(as_member):
    html = as_member.get(INBOX).content.decode()
    assert "No notifications yet." in html and "Mark all as read" not in html


def test_mark_one_read_without_javascript(as_member, member):
    note = notification(member, "Read me")
    response = as_member.post(reverse("portal:notification-read", args=[note.pk]), {"page": "1"}, follow=True)
    assert response.redirect_chain == [(f"{INBOX}?page=1", 302)]
    assert "Marked “Read me” as read." in response.content.decode()
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_one_read_with_htmx_swaps_the_row_and_the_count(as_member, member):
    note = notification(member, "Read me")
    notification(member, "Still unread")
    html = as_member.post(reverse("portal:notification-read", args=[note.pk]), headers=HTMX).content.decode()
    assert html.lstrip().startswith(f'<li class="card" id="notification-{note.pk}"')
    assert "Marked as read." in html and 'hx-swap-oob="true"' in html and '<span class="badge">1' in html


def test_someone_elses_notification_is_a_404(as_member):
    other = notification(UserFactory(), "Not yours")
    response = as_member.post(reverse("portal:notification-read", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_mark_all_read(as_member, member, headers):
    for n in range(3):
        notification(member, f"Note {n}")
    response = as_member.post(READ_ALL, headers=headers, follow=not headers)
    assert "Marked 3 notifications as read." in response.content.decode()
    assert not member.notifications.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize("rows", [1, 30])
def test_the_inbox_costs_the_same_queries_whatever_the_rows(as_member, member, django_assert_num_queries, rows):
    for n in range(rows):
        notification(member, f"Note {n}", link="/events/00000000-0000-0000-0000-000000000000")
    # session, user, count, page, unread count
    with django_assert_num_queries(5):
        response = as_member.get(INBOX)
    assert response.status_code == 200 and len(response.content) < 30_000
