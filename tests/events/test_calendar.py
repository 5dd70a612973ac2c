"""Calendar files: one event's .ics, the confirmation attachment, the per-user feed and its token."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.models import EventStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def vevents(content: bytes):
    return Calendar.from_ical(content).walk("VEVENT")


def test_event_ics_content(client_for, event_factory, settings):
    settings.SERVER_BASE_URL = "https://events.example.org"
    starts = timezone.now().replace(microsecond=0) + timedelta(days=3)
    event = event_factory(
        title="Guest lecture: compilers",
        location="Hall 1, 2 Main St",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    response = client_for(UserFactory()).get(f"/events/{event.pk}.ics", HTTP_ACCEPT="text/calendar")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="{event.slug}.ics"' in response["Content-Disposition"]
    [vevent] = vevents(response.content)
    assert str(vevent["uid"]) == f"event-{event.pk}@events.example.org"
    assert vevent.decoded("dtstart") == starts.astimezone(UTC)
    assert vevent.decoded("dtend") == (starts + timedelta(hours=2)).astimezone(UTC)
    assert b"DTSTART:" in response.content and b"Z\r\n" in response.content  # UTC, not floating
    assert str(vevent["location"]) == "Hall 1, 2 Main St"
    assert str(vevent["url"]) == f"https://events.example.org/events/{event.pk}"
    assert str(vevent["summary"]) == "Guest lecture: compilers"
    assert str(vevent["status"]) == "CONFIRMED"


def test_online_event_ics_gives_the_url_only_to_a_seat_holder(client_for, event_factory):
    event = event_factory(location="", online_url="https://meet.example.com/abc")
    seated = UserFactory()
    services.registration_create(actor=seated, event_id=event.pk)
    [vevent] = vevents(client_for(seated).get(f"/events/{event.pk}.ics").content)
    assert str(vevent["location"]) == "https://meet.example.com/abc"
    content = client_for(UserFactory()).get(f"/events/{event.pk}.ics").content  # issue 15: not for everyone
    [vevent] = vevents(content)
    assert str(vevent["location"]) == "Online"
    assert b"meet.example.com" not in content


def test_confirmation_email_carries_the_ics(event_factory, mailoutbox, django_capture_on_commit_callbacks):
    event = event_factory()
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(actor=person, event_id=event.pk)
    [mail] = mailoutbox
    assert mail.to == [person.email]
    [(filename, content, mimetype)] = mail.attachments
    assert (filename, mimetype) == (f"{event.slug}.ics", "text/calendar")
    [vevent] = vevents(content)
    assert str(vevent["uid"]).startswith(f"event-{event.pk}@")


def test_changes_and_cancellation_update_the_same_calendar_entry(event_factory, mailoutbox, admin):
    event = event_factory()
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    services.event_update(actor=admin, event_id=event.pk, data={"location": "Hall 2"})
    services.event_cancel(actor=admin, event_id=event.pk)
    event.refresh_from_db()
    from events.calendar import event_ics

    [vevent] = vevents(event_ics(event))
    assert int(vevent["sequence"]) == 2
    assert str(vevent["status"]) == "CANCELLED"


def test_the_feed_lists_my_seats_without_a_jwt(client_for, api_client, event_factory):
    member = UserFactory()
    mine, waiting, other = event_factory(), event_factory(capacity=1), event_factory()
    services.registration_create(actor=member, event_id=mine.pk)
    services.registration_create(actor=UserFactory(), event_id=waiting.pk)
    services.registration_create(actor=member, event_id=waiting.pk)  # waitlisted: not in the feed
    created = client_for(member).post("/users/me/calendar-token")
    assert created.status_code == 201
    feed_url = created.json()["feed_url"]
    assert feed_url.startswith("http://testserver/users/me/events.ics?token=")
    token = feed_url.split("token=", 1)[1]
    assert len(token) >= 43  # 256 bits, URL-safe

    response = api_client.get(f"/users/me/events.ics?token={token}")  # no Authorization header
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    uids = {str(v["uid"]) for v in vevents(response.content)}
    assert uids == {f"event-{mine.pk}@localhost"}
    assert str(other.pk) not in response.content.decode()


def test_a_cancelled_event_stays_in_the_feed_struck_out(client_for, api_client, event_factory, admin):
    member = UserFactory()
    event = event_factory()
    services.registration_create(actor=member, event_id=event.pk)
    services.event_cancel(actor=admin, event_id=event.pk)
    token = services.calendar_token_create(user=member)
    [vevent] = vevents(api_client.get(f"/users/me/events.ics?token={token}").content)
    assert str(vevent["status"]) == "CANCELLED"


@pytest.mark.parametrize("token", ["", "nope", "x" * 500])
def test_unknown_token_is_404(api_client, token):
    response = api_client.get(f"/users/me/events.ics?token={token}")
    assert response.status_code == 404
    assert response.json()["detail"] == "Unknown or revoked calendar feed token."


def test_revoked_and_replaced_tokens_stop_working(client_for, api_client):
    member = UserFactory()
    client = client_for(member)
    first = client.post("/users/me/calendar-token").json()["feed_url"]
    second = client.post("/users/me/calendar-token").json()["feed_url"]
    path = lambda url: url.removeprefix("http://testserver")  # noqa: E731
    assert api_client.get(path(first)).status_code == 404
    assert api_client.get(path(second)).status_code == 200
    assert client.delete("/users/me/calendar-token").status_code == 204
    assert api_client.get(path(second)).status_code == 404


def test_token_endpoint_needs_a_jwt(api_client):
    assert api_client.post("/users/me/calendar-token").status_code == 401


def test_the_feed_is_throttled(api_client, settings):
    settings.EVENTS_FEED_THROTTLE_RATE = "3/min"
    token = services.calendar_token_create(user=UserFactory())
    codes = [api_client.get(f"/users/me/events.ics?token={token}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_hidden_event_ics_is_404(client_for, event_factory):
    draft = event_factory(status=EventStatus.DRAFT, published_at=None)
    assert client_for(UserFactory()).get(f"/events/{draft.pk}.ics").status_code == 404


def test_feed_tokens_never_reach_a_log_line():
    from core.logging import redact

    line = 'GET /users/me/events.ics?token=Jx0abc-_DEF123 HTTP/1.1" 200'
    assert "Jx0abc" not in redact(line)
    assert "token=[redacted]" in redact(line)
