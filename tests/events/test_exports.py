"""Attendee CSVs, from the API and from the admin: a cell a spreadsheet would run as a
formula comes out prefixed with `'`, in every export."""

import csv
import io

import pytest

from events import services
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x.invalid","a")', "+SUM(1,2)", "-1", "@x", "\tx", "\rx"]


def rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))


def event_with_hostile_people(**fields):
    event = EventFactory(capacity=None, **fields)
    for value in HOSTILE:
        services.registration_create(actor=UserFactory(first_name=value, last_name="Doe"), event_id=event.pk)
    return event


def assert_all_defused(table):
    assert sorted(row["first_name"] for row in table) == sorted(f"'{value}" for value in HOSTILE)


def test_api_export(client_for):
    event = event_with_hostile_people()
    response = client_for(UserFactory(role=Role.ADMIN)).get(f"/events/{event.pk}/registrations.csv")
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}-attendees.csv"'
    assert_all_defused(rows(response))


def test_admin_export_of_one_event(admin_site_client):
    event = event_with_hostile_people()
    response = admin_site_client.get(f"/admin/events/event/{event.pk}/attendees.csv")
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}-attendees.csv"'
    assert_all_defused(rows(response))


def test_admin_export_of_several_events(admin_site_client):
    first = event_with_hostile_people(title="@first")
    second = event_with_hostile_people(title="-second")
    response = admin_site_client.post(
        "/admin/events/event/",
        {"action": "export_attendees", "_selected_action": [str(first.pk), str(second.pk)]},
    )
    assert response["Content-Disposition"] == 'attachment; filename="attendees.csv"'
    table = rows(response)
    assert {row["event"] for row in table} == {"'@first", "'-second"}
    for title in ("'@first", "'-second"):
        assert_all_defused([row for row in table if row["event"] == title])


def test_a_line_break_in_a_cell_keeps_its_row_whole(admin_site_client):
    """The multi-event export once re-read each event's CSV line by line, which lost a line break inside a cell."""
    event = EventFactory()
    services.registration_create(actor=UserFactory(first_name="Ann\nMarie", last_name="Doe"), event_id=event.pk)
    response = admin_site_client.post(
        "/admin/events/event/", {"action": "export_attendees", "_selected_action": [str(event.pk)]}
    )
    [row] = rows(response)
    assert (row["first_name"], row["last_name"]) == ("Ann\nMarie", "Doe")
