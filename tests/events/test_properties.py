"""Properties of the seat and waiting-list rules under any sequence of registrations,
cancellations, check-ins and capacity changes (Hypothesis, against the real database)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import services
from events.models import Event, Registration, RegistrationStatus
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.models import Role

PEOPLE = 6
operation = st.one_of(
    st.tuples(st.just("register"), st.integers(0, PEOPLE - 1)),
    st.tuples(st.just("cancel"), st.integers(0, PEOPLE - 1)),
    st.tuples(st.just("check_in"), st.integers(0, PEOPLE - 1)),
    st.tuples(st.just("capacity"), st.integers(1, PEOPLE)),
)


def check_invariants(event: Event, arrivals: list) -> None:
    event.refresh_from_db()
    rows = list(Registration.objects.filter(event=event))
    seats = [r for r in rows if r.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)]
    waiting = sorted((r for r in rows if r.status == RegistrationStatus.WAITLISTED), key=lambda r: r.waitlist_position)
    live_users = [r.user_id for r in rows if r.status != RegistrationStatus.CANCELLED]
    assert event.seats_taken == len(seats) <= event.capacity
    assert len(live_users) == len(set(live_users))  # one live registration per person
    if waiting:  # nobody waits while a seat is free
        assert len(seats) == event.capacity
    # the waiting list keeps arrival order (the order of the successful register calls)
    order = {registration_id: index for index, registration_id in enumerate(arrivals)}
    assert [order[r.pk] for r in waiting] == sorted(order[r.pk] for r in waiting)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(capacity=st.integers(1, PEOPLE), operations=st.lists(operation, max_size=25))
def test_seats_and_waiting_list_stay_consistent(capacity, operations):
    staff = UserFactory(role=Role.ADMIN)
    event = EventFactory(capacity=capacity, created_by=staff)
    people = [UserFactory() for _ in range(PEOPLE)]
    arrivals = []
    for name, value in operations:
        try:
            if name == "register":
                arrivals.append(services.registration_create(actor=people[value], event_id=event.pk).pk)
            elif name == "cancel":
                services.registration_cancel(actor=people[value], event_id=event.pk)
            elif name == "check_in":
                services.registration_check_in(actor=staff, event_id=event.pk, user_id=people[value].pk)
            else:
                services.event_update(actor=staff, event_id=event.pk, data={"capacity": value})
        except (services.EventError, ValidationError):
            pass  # refusals are part of the rules; the invariants must hold either way
        check_invariants(event, arrivals)
