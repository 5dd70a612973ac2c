"""The event change form reads and shows times in the venue's zone (the event's `time_zone`),
not the server's UTC; the review page names the zone."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from events.models import Event, EventStatus
from tests.events.conftest import EventFactory

from .test_admin import change_form, change_url

pytestmark = pytest.mark.django_db

PARIS = "Europe/Paris"
ADD = "/admin/events/event/add/"


def winter_day():
    """A January day in the future (Paris is UTC+1 then)."""
    return datetime(timezone.now().year + 1, 1, 15).date()


def typed(day, clock):
    return {"0": day.isoformat(), "1": clock}


def new_event_form(zone, day, starts, ends):
    body = change_form(Event(title="Evening talk", kind="OTHER", location="Room 1", starts_at=None, ends_at=None))
    body.update({"registrations-TOTAL_FORMS": "0", "registrations-INITIAL_FORMS": "0", "time_zone": zone})
    body.update({f"starts_at_{k}": v for k, v in typed(day, starts).items()})
    body.update({f"ends_at_{k}": v for k, v in typed(day, ends).items()})
    return body


def test_19_00_typed_for_a_paris_event_is_stored_as_18_00_utc_in_winter(manager_site_client):
    day = winter_day()
    response = manager_site_client.post(ADD, new_event_form(PARIS, day, "19:00:00", "21:00:00"))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = Event.objects.get(title="Evening talk")
    assert event.time_zone == PARIS
    assert event.starts_at == datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)
    assert event.ends_at == datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)


def test_the_change_form_shows_the_stored_time_in_the_events_zone_and_says_so(manager_site_client):
    day = winter_day()
    event = EventFactory(
        time_zone=PARIS,
        starts_at=datetime(day.year, 1, 15, 18, 0, tzinfo=UTC),
        ends_at=datetime(day.year, 1, 15, 20, 0, tzinfo=UTC),
    )
    html = manager_site_client.get(change_url(event)).content.decode()
    assert 'name="starts_at_1" value="19:00:00"' in html and 'name="ends_at_1" value="21:00:00"' in html
    assert "Times on this page are in the event's time zone" in html


def test_saving_what_the_form_shows_keeps_the_times(manager_site_client):
    day = winter_day()
    starts = datetime(day.year, 1, 15, 18, 0, tzinfo=UTC)
    event = EventFactory(time_zone=PARIS, starts_at=starts, ends_at=datetime(day.year, 1, 15, 20, 0, tzinfo=UTC))
    body = change_form(event, capacity="12")
    body.update({"starts_at_1": "19:00:00", "ends_at_1": "21:00:00", "time_zone": PARIS})
    assert manager_site_client.post(change_url(event), body).status_code == 302
    event.refresh_from_db()
    assert (event.capacity, event.starts_at) == (12, starts)


def test_a_zone_changed_with_the_times_applies_to_them(manager_site_client):
    day = winter_day()
    event = EventFactory(
        time_zone=PARIS,
        status=EventStatus.DRAFT,
        starts_at=datetime(day.year, 1, 15, 18, 0, tzinfo=UTC),
        ends_at=datetime(day.year, 1, 15, 20, 0, tzinfo=UTC),
    )
    body = change_form(event)
    body.update({"starts_at_1": "19:00:00", "ends_at_1": "21:00:00", "time_zone": "America/New_York"})
    assert manager_site_client.post(change_url(event), body).status_code == 302
    event.refresh_from_db()
    assert event.time_zone == "America/New_York"
    assert event.starts_at == datetime(day.year, 1, 16, 0, 0, tzinfo=UTC)  # 19:00 EST


def test_a_time_that_does_not_exist_there_is_a_form_error_naming_the_field(manager_site_client):
    """The night Paris moves its clocks forward, 02:30 never happens."""
    year = timezone.now().year + 1
    last_sunday = max(day for day in range(25, 32) if datetime(year, 3, day).weekday() == 6)
    gap = datetime(year, 3, last_sunday).date()
    response = manager_site_client.post(ADD, new_event_form(PARIS, gap, "02:30:00", "04:00:00"))
    assert response.status_code == 200
    assert "starts_at" in response.context["adminform"].form.errors
    assert not Event.objects.exists()


def test_the_review_page_names_the_events_zone_not_utc(admin_site_client, manager_user):
    day = winter_day()
    event = EventFactory(
        time_zone=PARIS,
        status=EventStatus.PENDING,
        created_by=manager_user,
        submitted_by=manager_user,
        starts_at=datetime(day.year, 1, 15, 18, 0, tzinfo=UTC),
        ends_at=datetime(day.year, 1, 15, 20, 0, tzinfo=UTC),
    )
    html = admin_site_client.get(f"/admin/events/event/{event.pk}/review/approve/").content.decode()
    assert "19:00 (Europe/Paris)" in html and " UTC" not in html


def test_the_list_shows_each_events_times_in_its_zone_and_still_sorts(manager_site_client):
    day = winter_day()
    EventFactory(
        title="Paris evening",
        time_zone=PARIS,
        starts_at=datetime(day.year, 1, 15, 18, 0, tzinfo=UTC),
        ends_at=datetime(day.year, 1, 15, 20, 0, tzinfo=UTC),
    )
    EventFactory(
        title="Tokyo night",
        time_zone="Asia/Tokyo",
        starts_at=datetime(day.year, 1, 15, 14, 0, tzinfo=UTC),
        ends_at=datetime(day.year, 1, 15, 16, 0, tzinfo=UTC),
    )
    response = manager_site_client.get("/admin/events/event/", {"o": "4"})
    html = response.content.decode()
    assert f"{day.isoformat()} 19:00 (Europe/Paris)" in html and '<td class="field-ends">21:00</td>' in html
    assert f"{day.isoformat()} 23:00 (Asia/Tokyo)" in html
    assert f'<td class="field-ends">{day.replace(day=16).isoformat()} 01:00</td>' in html  # past midnight there
    assert [event.title for event in response.context["cl"].result_list] == ["Tokyo night", "Paris evening"]
