"""The member's event list and event page (issue 18, item 5): a fixed number of queries
whatever the events, registrations and filters; the hand-written SQL's filters, visibility
and order agree with the rules they replace."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import selectors, services
from events.models import EventKind, EventStatus, RegistrationStatus
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

FILTERS = [
    "",
    "&kind=GUEST_LECTURE",
    "&status=APPROVED",
    "&from=2020-01-01&to=2099-12-31",
    "&q=lecture",
    "&mine=true",
    "&kind=GUEST_LECTURE&status=APPROVED&q=e&mine=true&from=2020-01-01",
]


def _count(client, path) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def _crowd(member, events: int, waiting: int = 0):
    """`events` approved events; the member registered for the first, `waiting` others queue
    behind a full one the member waits for too."""
    made = [EventFactory(capacity=1) for _ in range(events)]
    services.registration_create(actor=member, event_id=made[0].pk)
    if waiting:
        services.registration_create(actor=UserFactory(), event_id=made[1].pk)  # takes the seat
        for _ in range(waiting):
            services.registration_create(actor=UserFactory(), event_id=made[1].pk)
        services.registration_create(actor=member, event_id=made[1].pk)
    return made


@pytest.mark.parametrize("query", FILTERS)
def test_the_list_costs_two_queries_whatever_the_events_and_filters(client_for, query):
    member = UserFactory(role=Role.AUTHENTICATED)
    _crowd(member, 3)
    client = client_for(member)
    few, _ = _count(client, f"/events/?limit=20{query}")
    assert few == 2  # the caller; the page with its total, registrations, ranks and people
    _crowd(member, 25, waiting=4)
    many, body = _count(client, f"/events/?limit=20{query}")
    assert many == 2
    assert body["size"] == min(body["total"], 20)


def test_an_empty_list_costs_three_queries(client_for):
    member = UserFactory(role=Role.AUTHENTICATED)
    _crowd(member, 3)
    queries, body = _count(client_for(member), "/events/?limit=20&kind=WORKSHOP")
    assert (queries, body["total"], body["items"]) == (3, 0, [])  # no row to carry the total: counted


def test_the_page_costs_two_queries_for_a_waiting_member(client_for):
    member = UserFactory(role=Role.AUTHENTICATED)
    made = _crowd(member, 2, waiting=5)
    queries, body = _count(client_for(member), f"/events/{made[1].pk}")
    assert queries == 2
    assert body["my_registration"]["status"] == RegistrationStatus.WAITLISTED
    assert body["my_registration"]["waitlist_position"] == 6
    assert body["waitlist_count"] == 6
    assert body["created_by"] == {"id": str(made[1].created_by_id), "nickname": made[1].created_by.nickname}


def test_staff_lists_cost_two_queries_too(client_for):
    manager = UserFactory(role=Role.MANAGER)
    EventFactory.create_batch(4, status=EventStatus.DRAFT)
    EventFactory.create_batch(4)
    queries, body = _count(client_for(manager), "/events/?limit=20")
    assert queries == 2 and body["total"] == 8


def test_text_search_takes_like_wildcards_literally(client_for):
    member = UserFactory(role=Role.AUTHENTICATED)
    EventFactory(title="Save 50% on tickets")
    EventFactory(title="Save 500 on tickets")
    EventFactory(title="snake_case naming")
    EventFactory(title="snakeXcase naming")
    client = client_for(member)
    assert [e["title"] for e in client.get("/events/?q=50%25").json()["items"]] == ["Save 50% on tickets"]
    assert [e["title"] for e in client.get("/events/?q=E_C").json()["items"]] == ["snake_case naming"]
    assert client.get("/events/?q=SAVE").json()["total"] == 2  # case-insensitive


def test_filters_and_visibility(client_for):
    member = UserFactory(role=Role.AUTHENTICATED)
    now = timezone.now()
    workshop = EventFactory(kind=EventKind.WORKSHOP, starts_at=now + timedelta(days=3))
    later = EventFactory(starts_at=now + timedelta(days=30))
    EventFactory(status=EventStatus.DRAFT)  # not visible
    EventFactory(status=EventStatus.CANCELLED, published_at=None)  # never published: not visible
    cancelled = EventFactory(status=EventStatus.CANCELLED, published_at=now)
    services.registration_create(actor=member, event_id=later.pk)
    client = client_for(member)

    def ids(query):
        return [e["id"] for e in client.get(f"/events/?limit=100{query}").json()["items"]]

    assert set(ids("")) == {str(workshop.pk), str(later.pk), str(cancelled.pk)}
    assert ids("&kind=WORKSHOP") == [str(workshop.pk)]
    assert ids("&status=CANCELLED") == [str(cancelled.pk)]
    assert ids("&mine=true") == [str(later.pk)]
    day = (now + timedelta(days=20)).date().isoformat()
    assert ids(f"&from={day}") == [str(later.pk)]
    assert str(later.pk) not in ids(f"&to={day}")


def test_upcoming_soonest_first_then_past_latest_first(member):
    now = timezone.now()
    past_old = EventFactory(starts_at=now - timedelta(days=30))
    past_new = EventFactory(starts_at=now - timedelta(days=2))
    soon = EventFactory(starts_at=now + timedelta(days=1))
    later = EventFactory(starts_at=now + timedelta(days=9))
    running = EventFactory(starts_at=now - timedelta(hours=1))  # ends in an hour: upcoming
    order = [e.pk for e in selectors.event_list(user=member)]
    assert order == [running.pk, soon.pk, later.pk, past_new.pk, past_old.pk]
    assert [e.pk for e in selectors.event_list(user=member, skip=1, limit=2)] == [soon.pk, later.pk]


def test_past_the_end_the_total_is_still_counted(client_for):
    member = UserFactory(role=Role.AUTHENTICATED)
    EventFactory.create_batch(3)
    queries, body = _count(client_for(member), "/events/?limit=2&skip=5")
    assert (queries, body["total"], body["items"]) == (3, 3, [])
    body = client_for(member).get("/events/?limit=2&skip=2").json()
    assert (body["total"], body["size"]) == (3, 1)


def test_a_malformed_id_is_no_event(member):
    assert selectors.event_get(user=member, event_id="not-a-uuid") is None
    assert selectors.event_get(user=member, event_id=None) is None
