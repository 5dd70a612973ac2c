from datetime import timedelta

import factory
import pytest
from django.utils import timezone

from events.models import Event, EventKind, EventStatus
from tests.factories import UserFactory
from users.models import Role


class EventFactory(factory.django.DjangoModelFactory):
    """An APPROVED event a week from now with 10 seats, created by a manager.

    Rows are written directly (the services are what the tests exercise); use
    `status=` and the other fields to set up any state."""

    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Guest lecture {n}")
    slug = factory.Sequence(lambda n: f"guest-lecture-{n}")
    description = "A talk followed by questions."
    kind = EventKind.GUEST_LECTURE
    location = "Main hall, 1 Campus Road"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=2))
    capacity = 10
    status = EventStatus.APPROVED
    created_by = factory.SubFactory(UserFactory, role=Role.MANAGER)
    published_at = factory.LazyAttribute(lambda event: timezone.now() if event.status == EventStatus.APPROVED else None)


@pytest.fixture
def event_factory(db):
    return EventFactory


@pytest.fixture
def member(db):
    return UserFactory(role=Role.AUTHENTICATED)


@pytest.fixture
def manager(db):
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def other_manager(db):
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def admin(db):
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def event(db, manager):
    return EventFactory(created_by=manager)


def future(days=7, hours=0):
    return timezone.now() + timedelta(days=days, hours=hours)


def event_input(**overrides):
    starts = future(10)
    data = {
        "title": "Company tour: Acme robotics lab",
        "description": "A guided tour of the lab.",
        "kind": EventKind.COMPANY_TOUR,
        "location": "Acme, 5 Harbour Street",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "capacity": 20,
    }
    data.update(overrides)
    return data
