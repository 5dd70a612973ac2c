"""No answer contradicts the database when its connection is terminated (issue 19, item 5).

Every write of the events API is sent once for each point of the request — before each
statement, and right after each COMMIT — with the connection terminated there
(`tests.connection_faults`). A success is answered only for a change the database
holds, and a 503 only for one it does not; a committed registration has its
confirmation in the outbox. Under WSGI and ASGI; PostgreSQL only (pg_terminate_backend).
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from events.models import Event, EventStatus, Registration, RegistrationStatus
from notifications.models import OutgoingEmail
from tests.connection_faults import Hook, each_point, terminate
from tests.events.conftest import EventFactory, event_input
from tests.factories import UserFactory
from users.models import Role

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

DOWN = 503


def _answered(response, success: int, changed: bool) -> bool:
    """The answer is `success` exactly when the change is in the database, else a 503."""
    expected = success if changed else DOWN
    assert response.status_code == expected, (response.status_code, getattr(response, "data", None))
    return changed


def _live(state):
    return Registration.objects.filter(
        event=state.event, user=state.member, status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    ).first()


@pytest.fixture
def manager():
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def reviewer():
    return UserFactory(role=Role.ADMIN)


@pytest.mark.parametrize("full", [False, True], ids=["seat", "waiting-list"])
def test_register(client_for, manager, full):
    def setup():
        event = EventFactory(created_by=manager, capacity=1, seats_taken=int(full))
        if full:
            Registration.objects.create(event=event, user=UserFactory(), status=RegistrationStatus.CONFIRMED)
        member = UserFactory()
        return SimpleNamespace(event=event, member=member, client=client_for(member))

    def request(state):
        return state.client.post(f"/events/{state.event.pk}/registrations")

    def check(state, response):
        registration = _live(state)
        if _answered(response, 201, registration is not None):
            body = response.json()
            assert (body["id"], body["status"]) == (str(registration.pk), registration.status)
            if registration.status == RegistrationStatus.WAITLISTED:
                assert body["waitlist_position"] == 1
            kind = "events.waitlisted" if full else "events.registration_confirmed"
            assert OutgoingEmail.objects.filter(user=state.member, kind=kind).count() == 1
        seats = Registration.objects.filter(event=state.event, status=RegistrationStatus.CONFIRMED).count()
        assert Event.objects.get(pk=state.event.pk).seats_taken == seats

    seen = each_point(setup, request, check)
    assert {status for _, status in seen} == {201, DOWN}


def test_cancel_registration(client_for, manager):
    def setup():
        event = EventFactory(created_by=manager, capacity=1, seats_taken=1)
        member, waiting = UserFactory(), UserFactory()
        Registration.objects.create(event=event, user=member, status=RegistrationStatus.CONFIRMED)
        Registration.objects.create(
            event=event, user=waiting, status=RegistrationStatus.WAITLISTED, waitlist_position=1
        )
        return SimpleNamespace(event=event, member=member, waiting=waiting, client=client_for(member))

    def request(state):
        return state.client.delete(f"/events/{state.event.pk}/registrations/me")

    def check(state, response):
        promoted = Registration.objects.get(event=state.event, user=state.waiting).status
        if _answered(response, 204, _live(state) is None):
            assert promoted == RegistrationStatus.CONFIRMED  # the freed seat went to the waiting list
        else:
            assert promoted == RegistrationStatus.WAITLISTED
        assert Event.objects.get(pk=state.event.pk).seats_taken == 1

    each_point(setup, request, check)


TRANSITIONS = {
    "approve": (EventStatus.PENDING, {}, EventStatus.APPROVED),
    "reject": (EventStatus.PENDING, {"feedback": "Add a room."}, EventStatus.REJECTED),
    "cancel": (EventStatus.APPROVED, {"reason": "The speaker is ill."}, EventStatus.CANCELLED),
    "submit": (EventStatus.DRAFT, {}, EventStatus.PENDING),
}


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_event_transitions(client_for, manager, reviewer, name):
    start, body, target = TRANSITIONS[name]
    actor = manager if name == "submit" else reviewer

    def setup():
        event = EventFactory(created_by=manager, status=start)
        if start == EventStatus.APPROVED:
            Registration.objects.create(event=event, user=UserFactory(), status=RegistrationStatus.CONFIRMED)
        return SimpleNamespace(event=event, client=client_for(actor))

    def request(state):
        return state.client.post(f"/events/{state.event.pk}/{name}", body, format="json")

    def check(state, response):
        status = Event.objects.get(pk=state.event.pk).status
        if _answered(response, 200, status == target):
            assert response.json()["status"] == status

    each_point(setup, request, check)


def test_update(client_for, manager):
    def setup():
        return SimpleNamespace(event=EventFactory(created_by=manager, status=EventStatus.DRAFT))

    def request(state):
        return client_for(manager).patch(f"/events/{state.event.pk}", {"title": "A new title"}, format="json")

    def check(state, response):
        title = Event.objects.get(pk=state.event.pk).title
        if _answered(response, 200, title == "A new title"):
            assert response.json()["title"] == title

    each_point(setup, request, check)


def test_create(client_for, manager):
    def setup():
        return SimpleNamespace(title=f"Company tour {UserFactory().pk}")

    def request(state):
        return client_for(manager).post("/events/", event_input(title=state.title), format="json")

    def check(state, response):
        event = Event.objects.filter(title=state.title).first()
        if _answered(response, 201, event is not None):
            assert response.json()["id"] == str(event.pk)

    each_point(setup, request, check)


def test_check_in(client_for, manager):
    def setup():
        event = EventFactory(created_by=manager, seats_taken=1, starts_at=timezone.now() + timedelta(hours=1))
        member = UserFactory()
        Registration.objects.create(event=event, user=member, status=RegistrationStatus.CONFIRMED)
        return SimpleNamespace(event=event, member=member)

    def request(state):
        return client_for(manager).post(f"/events/{state.event.pk}/registrations/{state.member.pk}/check-in")

    def check(state, response):
        registration = Registration.objects.get(event=state.event, user=state.member)
        if _answered(response, 200, registration.status == RegistrationStatus.ATTENDED):
            assert response.json()["status"] == RegistrationStatus.ATTENDED

    each_point(setup, request, check)


class GoneAfterCommit(Hook):
    """After the first COMMIT, every statement meets a terminated connection."""

    def __call__(self, execute, sql, params, many, context):
        if self.commits:
            terminate(context["connection"])
        return super().__call__(execute, sql, params, many, context)


@pytest.mark.parametrize("full", [False, True], ids=["seat", "waiting-list"])
def test_a_read_back_that_never_reconnects_answers_from_the_written_row(client_for, manager, full):
    """The database gone for good right after the commit: every read-back attempt fails,
    and the answer is still the committed registration (built from what was written)."""
    event = EventFactory(created_by=manager, capacity=1, seats_taken=int(full))
    if full:
        Registration.objects.create(event=event, user=UserFactory(), status=RegistrationStatus.CONFIRMED)
    member = UserFactory()
    client = client_for(member)
    hook = GoneAfterCommit()
    try:
        with connection.execute_wrapper(hook):
            response = client.post(f"/events/{event.pk}/registrations")
    finally:
        connection.close()

    registration = Registration.objects.get(event=event, user=member)
    assert response.status_code == 201, response.data
    body = response.json()
    assert (body["id"], body["status"]) == (str(registration.pk), registration.status)
    if full:
        assert (registration.status, body["waitlist_position"]) == (RegistrationStatus.WAITLISTED, 1)
    else:
        assert body["confirmed_at"] == registration.confirmed_at.isoformat().replace("+00:00", "Z")
    assert body["user"]["email"] == member.email
