"""The one seat-release helper behind a cancellation and an account's release: a freed seat
goes to the lowest waiting-list position, whatever the order the rows were written in."""

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from events import services
from events.models import Registration, RegistrationStatus
from events.services.registrations import release_registration
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def full_event_with_queue(positions):
    """A one-seat event, its seat taken, and people waiting at `positions` (written in that order)."""
    event = EventFactory(capacity=1, seats_taken=1)
    seated = UserFactory()
    Registration.objects.create(
        event=event, user=seated, status=RegistrationStatus.CONFIRMED, confirmed_at=timezone.now()
    )
    waiting = {
        position: Registration.objects.create(
            event=event, user=UserFactory(), status=RegistrationStatus.WAITLISTED, waitlist_position=position
        )
        for position in positions
    }
    return event, seated, waiting


def confirmed_positions(waiting):
    return sorted(
        position
        for position, registration in waiting.items()
        if Registration.objects.get(pk=registration.pk).status == RegistrationStatus.CONFIRMED
    )


RELEASES = {
    "cancelled": lambda event, user: services.registration_cancel(actor=user, event_id=event.pk),
    "account closed": lambda event, user: services.registrations_release_for_user(user=user),
}


@pytest.mark.parametrize("release", RELEASES.values(), ids=RELEASES.keys())
def test_the_freed_seat_goes_to_the_lowest_position(release):
    event, seated, waiting = full_event_with_queue([7, 3, 5])
    release(event, seated)
    assert confirmed_positions(waiting) == [3]
    event.refresh_from_db()
    assert event.seats_taken == 1
    assert Registration.objects.get(event=event, user=seated).status == RegistrationStatus.CANCELLED


def test_each_freed_seat_promotes_the_next_in_order():
    event, seated, waiting = full_event_with_queue([7, 3, 5])
    services.registration_cancel(actor=seated, event_id=event.pk)
    services.registration_cancel(actor=waiting[3].user, event_id=event.pk)
    assert confirmed_positions(waiting) == [5]
    services.registration_cancel(actor=waiting[5].user, event_id=event.pk)
    assert confirmed_positions(waiting) == [7]


def test_releasing_a_waiting_place_promotes_nobody_and_frees_no_seat():
    event, _seated, waiting = full_event_with_queue([1, 2])
    with transaction.atomic():
        release_registration(event, waiting[1], actor=None, note="test")
    event.refresh_from_db()
    assert event.seats_taken == 1
    assert confirmed_positions(waiting) == []
    assert Registration.objects.get(pk=waiting[2].pk).status == RegistrationStatus.WAITLISTED
    audit = AuditEvent.objects.get(action="registration.cancelled", target_id=str(waiting[1].pk))
    assert audit.note == "test"


def test_no_promotion_once_the_event_has_started():
    event, seated, waiting = full_event_with_queue([1])
    event.starts_at = timezone.now()
    with transaction.atomic():
        release_registration(event, Registration.objects.get(event=event, user=seated), actor=None)
    event.refresh_from_db()
    assert event.seats_taken == 0
    assert confirmed_positions(waiting) == []
