"""Registrations and waiting-list promotions are counted for /metrics, once each, after the commit."""

import pytest

from events import services
from events.services.registrations import REGISTRATIONS, WAITLIST_PROMOTIONS
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def value(metric):
    return metric._value.get()


def test_a_registration_counts_once_by_the_status_it_got(django_capture_on_commit_callbacks):
    event = EventFactory(capacity=1)
    confirmed, waitlisted = REGISTRATIONS.labels(status="confirmed"), REGISTRATIONS.labels(status="waitlisted")
    before = value(confirmed), value(waitlisted)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    assert (value(confirmed) - before[0], value(waitlisted) - before[1]) == (1, 1)


def test_nothing_counts_until_the_transaction_commits(django_capture_on_commit_callbacks):
    event = EventFactory()
    confirmed = REGISTRATIONS.labels(status="confirmed")
    before = value(confirmed)
    with django_capture_on_commit_callbacks(execute=False):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    assert value(confirmed) == before


def test_a_promotion_counts(django_capture_on_commit_callbacks):
    event = EventFactory(capacity=1)
    seated, waiting = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(actor=seated, event_id=event.pk)
        services.registration_create(actor=waiting, event_id=event.pk)
    before = value(WAITLIST_PROMOTIONS)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=seated, event_id=event.pk)
    assert value(WAITLIST_PROMOTIONS) - before == 1
