"""Capacity under concurrency: real HTTP requests from many threads at once, each with its own connection.

The threaded tests need row locks (`SELECT ... FOR UPDATE`), which only PostgreSQL
has; SQLite serialises whole transactions and its in-memory test database cannot
take concurrent writers from threads. The sequential test runs everywhere.
"""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from events.models import Event, Registration, RegistrationStatus
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.authentication import access_token_for

postgres_only = pytest.mark.postgresql  # row locks: deselected on SQLite (tests/conftest.py)


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


def _in_parallel(jobs):
    """Run every job in its own thread, all released at once by a barrier; return their results in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # reported by the assertion below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _assert_consistent(event):
    event.refresh_from_db()
    seats = Registration.objects.filter(event=event, status__in=["CONFIRMED", "ATTENDED"]).count()
    assert event.seats_taken == seats <= event.capacity
    waiting = list(
        Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED).order_by("waitlist_position")
    )
    assert [r.created_at for r in waiting] == sorted(r.created_at for r in waiting)  # positions follow arrival
    return seats, waiting


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_registrations_for_ten_seats():
    event = EventFactory(capacity=10)
    clients = [_client(UserFactory()) for _ in range(50)]

    responses = _in_parallel([lambda c=c: c.post(f"/events/{event.pk}/registrations") for c in clients])

    assert all(not isinstance(r, BaseException) for r in responses), responses
    assert [r.status_code for r in responses] == [201] * 50  # zero 5xx, nobody refused
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["CONFIRMED"] * 10 + ["WAITLISTED"] * 40
    seats, waiting = _assert_consistent(event)
    assert seats == 10
    assert [r.waitlist_position for r in waiting] == list(range(1, 41))  # no gaps, no duplicates
    confirmed = Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
    assert max(r.created_at for r in confirmed) <= min(r.created_at for r in waiting)  # arrival order
    assert sorted(r.json()["waitlist_position"] for r in responses if r.json()["waitlist_position"]) == list(
        range(1, 41)
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_cancellations_and_registrations_at_once_keep_the_count():
    event = EventFactory(capacity=5)
    holders = [UserFactory() for _ in range(5)]
    waiters = [UserFactory() for _ in range(5)]
    for person in holders + waiters:
        _client(person).post(f"/events/{event.pk}/registrations")
    newcomers = [UserFactory() for _ in range(10)]

    jobs = [lambda p=p: _client(p).delete(f"/events/{event.pk}/registrations/me") for p in holders]
    jobs += [lambda p=p: _client(p).post(f"/events/{event.pk}/registrations") for p in newcomers]
    responses = _in_parallel(jobs)

    assert [r.status_code for r in responses] == [204] * 5 + [201] * 10
    seats, waiting = _assert_consistent(event)
    assert seats == 5
    promoted = set(
        Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).values_list("user_id", flat=True)
    )
    assert promoted == {p.pk for p in waiters}  # the freed seats went to those who waited, not to newcomers
    assert {r.user_id for r in waiting} == {p.pk for p in newcomers}
    assert Event.objects.get(pk=event.pk).seats_taken == 5


@pytest.mark.django_db
def test_fifty_registrations_one_after_another_for_ten_seats():
    event = EventFactory(capacity=10)
    people = [UserFactory() for _ in range(50)]
    statuses = [_client(p).post(f"/events/{event.pk}/registrations").json()["status"] for p in people]
    assert statuses == ["CONFIRMED"] * 10 + ["WAITLISTED"] * 40
    seats, waiting = _assert_consistent(event)
    assert seats == 10
    assert [r.user_id for r in waiting] == [p.pk for p in people[10:]]
