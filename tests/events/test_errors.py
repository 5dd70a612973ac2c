"""Each refusal of the event services, as the API answers it: status and exact body
(the core exception handler turns the DomainError into its 4xx)."""

import uuid

import pytest

from events import services
from events.models import EventStatus
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return UserFactory(role=Role.MANAGER)


def test_reviewing_your_own_event_is_a_403_with_the_services_reason(client_for, manager):
    event = EventFactory(status=EventStatus.PENDING, created_by=manager)
    response = client_for(manager).post(f"/events/{event.pk}/approve", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "You cannot review an event you created or submitted; another manager must."}


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("registrations", "Only the event's creator, managers and admins may see the attendee list."),
        ("registrations.csv", "Only the event's creator, managers and admins may export attendees."),
    ],
)
def test_members_may_not_see_attendees(client_for, path, detail):
    event = EventFactory()
    response = client_for(UserFactory()).get(f"/events/{event.pk}/{path}")
    assert response.status_code == 403
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("event_id", [uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_event_is_a_404(client_for, manager, event_id):
    response = client_for(manager).post(f"/events/{event_id}/submit")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Event matches the given query."}


def test_an_event_the_caller_may_not_see_is_the_same_404(client_for):
    draft = EventFactory(status=EventStatus.DRAFT)
    response = client_for(UserFactory()).post(f"/events/{draft.pk}/registrations")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Event matches the given query."}


def test_registering_twice_is_a_409(client_for):
    event, member = EventFactory(), UserFactory()
    services.registration_create(actor=member, event_id=event.pk)
    response = client_for(member).post(f"/events/{event.pk}/registrations")
    assert response.status_code == 409
    assert response.json() == {"detail": "You are already registered for this event."}


def test_cancelling_nothing_is_a_404(client_for):
    event = EventFactory()
    response = client_for(UserFactory()).delete(f"/events/{event.pk}/registrations/me")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no registration to cancel."}


def test_deleting_a_non_draft_is_a_400(client_for, manager):
    event = EventFactory(created_by=manager)
    response = client_for(manager).delete(f"/events/{event.pk}")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Only a DRAFT can be deleted; this event is APPROVED (cancel it instead).",
    }
