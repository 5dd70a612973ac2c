"""Issue 15 item 5: the event rules the member pages make visible, through the API and the selectors.

The meeting link only for seat holders and staff; an approved event edited by a manager stays
visible with registration paused and its change notice gives the old and new time and place in
each recipient's zone; check-in only in its window; what a visitor without an account may see;
the venue's time zone on events and in calendar files.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from events import rules, selectors, services
from events.models import Event, EventStatus
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

URL = "https://meet.example.com/room-42"


def rels(body):
    return {link["rel"] for link in body["links"]}


@pytest.fixture
def online_event(db):
    return EventFactory(capacity=1, location="", online_url=URL)


# --- online_url -------------------------------------------------------------------------


def test_the_meeting_link_goes_only_to_seat_holders_and_staff(client_for, online_event):
    seated, waiting, outsider = UserFactory(), UserFactory(), UserFactory()
    services.registration_create(actor=seated, event_id=online_event.pk)
    services.registration_create(actor=waiting, event_id=online_event.pk)
    seen = {}
    for name, user in [
        ("seated", seated),
        ("waiting", waiting),
        ("outsider", outsider),
        ("creator", online_event.created_by),
        ("other manager", UserFactory(manager=True)),
        ("admin", UserFactory(admin=True)),
    ]:
        client = client_for(user)
        detail = client.get(f"/events/{online_event.pk}").json()
        [listed] = [item for item in client.get("/events/").json()["items"] if item["id"] == str(online_event.pk)]
        assert detail["online"] is True and listed["online"] is True
        assert detail["online_url"] == listed["online_url"]
        seen[name] = detail["online_url"]
    assert seen == {
        "seated": URL,
        "waiting": None,
        "outsider": None,
        "creator": URL,
        "other manager": URL,
        "admin": URL,
    }


def test_my_registrations_show_the_link_only_while_holding_a_seat(client_for, online_event):
    seated, waiting = UserFactory(), UserFactory()
    services.registration_create(actor=seated, event_id=online_event.pk)
    services.registration_create(actor=waiting, event_id=online_event.pk)
    [mine] = client_for(seated).get("/users/me/registrations").json()["items"]
    [theirs] = client_for(waiting).get("/users/me/registrations").json()["items"]
    assert mine["event"]["online_url"] == URL
    assert theirs["event"]["online_url"] is None
    services.registration_cancel(actor=seated, event_id=online_event.pk)  # the waiting person gets the seat
    [mine] = client_for(seated).get("/users/me/registrations").json()["items"]
    [theirs] = client_for(waiting).get("/users/me/registrations").json()["items"]
    assert (mine["event"]["online_url"], theirs["event"]["online_url"]) == (None, URL)


def test_the_waiting_list_notice_and_its_calendar_file_never_carry_the_link(
    online_event, mailoutbox, django_capture_on_commit_callbacks
):
    seated, waiting = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(actor=seated, event_id=online_event.pk)
        services.registration_create(actor=waiting, event_id=online_event.pk)
    [to_seated] = [m for m in mailoutbox if m.to == [seated.email]]
    [to_waiting] = [m for m in mailoutbox if m.to == [waiting.email]]
    assert URL in to_seated.body
    assert URL not in to_waiting.body and URL not in to_waiting.alternatives[0][0]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(
            actor=UserFactory(admin=True), event_id=online_event.pk, data={"starts_at": online_event.starts_at}
        )  # no change: no notice
        services.event_update(
            actor=UserFactory(admin=True),
            event_id=online_event.pk,
            data={"starts_at": online_event.starts_at + timedelta(hours=1), "ends_at": online_event.ends_at},
        )
    by_person = {m.to[0]: m for m in mailoutbox}
    ics = {email: m.attachments[0][1] for email, m in by_person.items()}
    assert URL in str(ics[seated.email])
    assert URL not in str(ics[waiting.email])
    assert URL not in by_person[waiting.email].body


def test_can_see_online_url_rule():
    event = EventFactory.build(created_by=UserFactory(manager=True), online_url=URL)
    member = UserFactory()
    assert rules.can_see_online_url(member, event, "CONFIRMED")
    assert rules.can_see_online_url(member, event, "ATTENDED")
    assert not rules.can_see_online_url(member, event, "WAITLISTED")
    assert not rules.can_see_online_url(member, event, "CANCELLED")
    assert not rules.can_see_online_url(member, event, None)
    assert rules.can_see_online_url(event.created_by, event)
    assert not rules.can_see_online_url(None, event)


# --- edited while approved: visible, registration paused ---------------------------------


def test_an_edited_approved_event_stays_visible_with_registration_paused(client_for, event_factory):
    event = event_factory()
    creator, outsider = event.created_by, UserFactory()
    response = client_for(creator).patch(f"/events/{event.pk}", {"location": "Room 9"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == EventStatus.PENDING

    client = client_for(outsider)
    body = client.get(f"/events/{event.pk}").json()
    assert body["status"] == EventStatus.PENDING
    assert (body["registration_paused"], body["registration_open"]) == (True, False)
    assert "register" not in rels(body)
    assert str(event.pk) in [item["id"] for item in client.get("/events/").json()["items"]]
    refused = client.post(f"/events/{event.pk}/registrations")
    assert refused.status_code == 400 and "paused" in refused.json()["detail"]

    assert client_for(UserFactory(manager=True)).post(f"/events/{event.pk}/approve").status_code == 200
    body = client.get(f"/events/{event.pk}").json()
    assert (body["registration_paused"], body["registration_open"]) == (False, True)
    assert client.post(f"/events/{event.pk}/registrations").status_code == 201


def test_a_never_approved_event_in_review_stays_hidden(client_for, event_factory):
    event = event_factory(status=EventStatus.PENDING)
    assert client_for(UserFactory()).get(f"/events/{event.pk}").status_code == 404


def test_the_change_notice_gives_old_and_new_time_and_place_in_each_recipients_zone(
    event_factory, mailoutbox, django_capture_on_commit_callbacks
):
    starts = (timezone.now() + timedelta(days=10)).replace(hour=17, minute=0, second=0, microsecond=0)
    event = event_factory(
        starts_at=starts, ends_at=starts + timedelta(hours=2), location="Main hall", time_zone="Europe/Paris"
    )
    paris, new_york = UserFactory(time_zone="Europe/Paris"), UserFactory(time_zone="America/New_York")
    for person in (paris, new_york):
        services.registration_create(actor=person, event_id=event.pk)
    mailoutbox.clear()
    later = starts + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(
            actor=event.created_by,
            event_id=event.pk,
            data={"starts_at": later, "ends_at": later + timedelta(hours=2), "location": "Room 9"},
        )
    mails = {m.to[0]: m for m in mailoutbox}
    for person in (paris, new_york):
        zone = ZoneInfo(person.time_zone)
        old = starts.astimezone(zone).strftime("%H:%M")
        new = later.astimezone(zone).strftime("%H:%M")
        body = mails[person.email].body
        assert f"{new} ({person.time_zone})" in body
        assert f"(was: {starts.astimezone(zone):%A %d %B %Y}, {old} ({person.time_zone})" in body
        assert "Where: Room 9" in body and "(was: Main hall)" in body
        assert "registration is paused" in body
        assert "UTC" not in body
        venue = f"{later.astimezone(ZoneInfo('Europe/Paris')):%H:%M} (Europe/Paris) at the venue"
        assert (venue in body) == (person.time_zone != "Europe/Paris")


# --- check-in window -------------------------------------------------------------------


def _check_in(client, event, person):
    return client.post(f"/events/{event.pk}/registrations/{person.pk}/check-in")


@pytest.mark.parametrize(
    ("starts_in", "ok"),
    [(timedelta(hours=5), False), (timedelta(hours=2, minutes=50), True), (timedelta(minutes=5), True)],
)
def test_check_in_opens_a_few_hours_before_the_start(client_for, event_factory, starts_in, ok):
    event = event_factory(starts_at=timezone.now() + starts_in)
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    response = _check_in(client_for(event.created_by), event, person)
    if ok:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "ATTENDED"
    else:
        assert response.status_code == 400
        assert "Check-in opens at" in response.json()["detail"]
        assert "3 hours before" in response.json()["detail"]


def test_check_in_window_is_a_setting(client_for, event_factory, settings):
    settings.CHECK_IN_OPENS_HOURS_BEFORE = 6
    event = event_factory(starts_at=timezone.now() + timedelta(hours=5))
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    assert _check_in(client_for(event.created_by), event, person).status_code == 200


def test_check_in_closes_when_the_event_ends(client_for, event_factory):
    event = event_factory(starts_at=timezone.now() + timedelta(hours=1))
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(minutes=1)
    )
    response = _check_in(client_for(event.created_by), event, person)
    assert response.status_code == 400
    assert "Check-in closed" in response.json()["detail"]


def test_never_check_in_on_a_cancelled_event(client_for, event_factory):
    event = event_factory(starts_at=timezone.now() + timedelta(hours=1))
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    Event.objects.filter(pk=event.pk).update(status=EventStatus.CANCELLED)  # its registrations left as they were
    response = _check_in(client_for(event.created_by), event, person)
    assert response.status_code == 400
    assert "cancelled" in response.json()["detail"]


def test_check_in_open_rule(event_factory):
    event = event_factory(starts_at=timezone.now() + timedelta(hours=1))
    assert rules.check_in_open(event)
    assert not rules.check_in_open(event, now=event.starts_at - timedelta(hours=3, seconds=1))
    assert rules.check_in_open(event, now=event.ends_at)
    assert not rules.check_in_open(event, now=event.ends_at + timedelta(seconds=1))
    event.status = EventStatus.CANCELLED
    assert not rules.check_in_open(event)


# --- what a visitor without an account sees (the pages; the API stays 401) ----------------


@pytest.fixture
def public_events(event_factory):
    return {
        "approved": event_factory(),
        "members_only": event_factory(members_only=True),
        "draft": event_factory(status=EventStatus.DRAFT),
        "pending": event_factory(status=EventStatus.PENDING),
        "paused": event_factory(status=EventStatus.PENDING, published_at=timezone.now()),
        "rejected": event_factory(status=EventStatus.REJECTED),
        "cancelled": event_factory(status=EventStatus.CANCELLED, published_at=timezone.now()),
    }


def test_visitors_see_published_events_that_are_not_members_only(public_events):
    total, events = selectors.public_event_page()
    names = {event.pk: name for name, event in public_events.items()}
    assert total == 3
    assert sorted(names[event.pk] for event in events) == ["approved", "cancelled", "paused"]
    assert sorted(names[e.pk] for e in selectors.public_event_list()) == ["approved", "cancelled", "paused"]
    assert all(event.my_registration_status is None for event in events)
    for name, event in public_events.items():
        found = selectors.public_event(event_id=event.pk)
        by_slug = selectors.public_event(slug=event.slug)
        assert (found is not None, by_slug is not None) == ((name in ("approved", "cancelled", "paused"),) * 2)
        assert selectors.event_public(event) == (name in ("approved", "cancelled", "paused"))


def test_events_public_false_closes_them(public_events, settings):
    settings.EVENTS_PUBLIC = False
    assert selectors.public_event_page() == (0, [])
    assert selectors.public_event_list() == []
    assert selectors.public_event(event_id=public_events["approved"].pk) is None
    assert not selectors.event_public(public_events["approved"])


def test_members_see_members_only_events(client_for, public_events):
    member = UserFactory()
    ids = {item["id"] for item in client_for(member).get("/events/").json()["items"]}
    assert str(public_events["members_only"].pk) in ids
    assert selectors.event_get(user=member, slug=public_events["members_only"].slug) is not None


def test_the_api_still_answers_visitors_with_401(api_client, public_events):
    assert api_client.get("/events/").status_code == 401
    assert api_client.get(f"/events/{public_events['approved'].pk}").status_code == 401


@pytest.mark.parametrize("count", [1, 25])
def test_a_visitors_page_is_one_query_whatever_the_events(event_factory, count):
    for _ in range(count):
        event_factory()
    with CaptureQueriesContext(connection) as queries:
        total, events = selectors.public_event_page(limit=20)
    assert (total, len(events)) == (count, min(count, 20))
    assert len(queries) == 1


# --- the venue's time zone ------------------------------------------------------------------


def _body(**overrides):
    starts = (timezone.now() + timedelta(days=12)).replace(microsecond=0)
    return {
        "title": "Workshop in Paris",
        "location": "Lab 3",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        **overrides,
    }


def test_an_event_takes_the_venues_zone_and_members_only(client_for):
    manager = UserFactory(role=Role.MANAGER)
    response = client_for(manager).post("/events/", _body(time_zone="Europe/Paris", members_only=True), format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["time_zone"], response.json()["members_only"]) == ("Europe/Paris", True)
    default = client_for(manager).post("/events/", _body(), format="json").json()
    assert (default["time_zone"], default["members_only"]) == ("UTC", False)
    event_id = response.json()["id"]
    changed = client_for(manager).patch(f"/events/{event_id}", {"time_zone": "Asia/Tokyo"}, format="json")
    assert changed.status_code == 200 and changed.json()["time_zone"] == "Asia/Tokyo"


@pytest.mark.parametrize("zone", ["Paris", "Europe/Atlantis", ""])
def test_an_unknown_venue_zone_is_a_400_naming_the_field(client_for, zone):
    response = client_for(UserFactory(role=Role.MANAGER)).post("/events/", _body(time_zone=zone), format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json(), response.json()


def test_the_ics_carries_the_venues_zone(client_for, event_factory):
    starts = datetime(2030, 6, 14, 17, 0, tzinfo=UTC)
    event = event_factory(starts_at=starts, ends_at=starts + timedelta(hours=2), time_zone="Europe/Paris")
    content = client_for(UserFactory()).get(f"/events/{event.pk}.ics").content
    assert b"DTSTART;TZID=Europe/Paris:20300614T190000" in content
    calendar = Calendar.from_ical(content)
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Paris"
    [vevent] = calendar.walk("VEVENT")
    assert vevent.decoded("dtstart") == starts


def test_the_calendar_feed_carries_each_events_zone(client_for, event_factory):
    person = UserFactory()
    for zone in ("Europe/Paris", "America/New_York"):
        services.registration_create(actor=person, event_id=event_factory(time_zone=zone).pk)
    feed_url = client_for(person).post("/users/me/calendar-token").json()["feed_url"]
    content = client_for(person).get(feed_url.replace("http://testserver", "")).content
    calendar = Calendar.from_ical(content)
    assert {str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")} == {"Europe/Paris", "America/New_York"}


# --- who else is coming (Meet people) ---------------------------------------------------------


def test_attendees_see_only_other_seat_holders_who_opted_in(event_factory):
    event = event_factory(capacity=3)
    shown = UserFactory(nickname="a_shown", show_in_directory=True)
    hidden = UserFactory(nickname="b_hidden")
    viewer = UserFactory(nickname="c_viewer")
    waiting = UserFactory(nickname="d_waiting", show_in_directory=True)
    for person in (shown, hidden, viewer, waiting):
        services.registration_create(actor=person, event_id=event.pk)
    with CaptureQueriesContext(connection) as queries:
        seen = selectors.attendees_seen_by(event_id=event.pk, viewer=viewer)
    assert len(queries) == 1
    assert [row["nickname"] for row in seen] == ["a_shown"]
    assert "email" not in seen[0]
    assert selectors.attendees_seen_by(event_id=event.pk, viewer=waiting) == []  # the waiting list sees nobody
    assert selectors.attendees_seen_by(event_id=event.pk, viewer=UserFactory()) == []
    assert selectors.attendees_seen_by(event_id=event.pk, viewer=None) == []
    staff = [row["nickname"] for row in selectors.attendees_seen_by(event_id=event.pk, viewer=event.created_by)]
    assert staff == ["a_shown"]
