"""In-app notices read times in the recipient's zone, as pages and emails do (not the venue's):
one notice (notify) and a fan-out to people in several zones (notify_many, both writers)."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from events import services
from events.notices import CANCELLED, REGISTRATION_CONFIRMED
from notifications.models import Notification
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paris_event():
    """An evening in Paris in winter: 19:00 there is 18:00 UTC and 13:00 in New York."""
    year = timezone.now().year + 1
    return EventFactory(
        time_zone="Europe/Paris",
        starts_at=datetime(year, 1, 15, 18, 0, tzinfo=UTC),
        ends_at=datetime(year, 1, 15, 20, 0, tzinfo=UTC),
    )


def body_of(user, kind):
    return Notification.objects.get(recipient=user, kind=kind).body


def test_one_notice_is_in_the_recipients_zone_with_the_venues_time_beside(paris_event):
    member = UserFactory(time_zone="America/New_York")
    services.registration_create(actor=member, event_id=paris_event.pk)
    body = body_of(member, REGISTRATION_CONFIRMED)
    assert "13:00 (America/New_York); 19:00 (Europe/Paris) at the venue" in body


def test_a_fan_out_writes_each_recipient_the_time_in_their_zone(paris_event, django_capture_on_commit_callbacks):
    zones = ["America/New_York", "Asia/Tokyo", "Europe/Paris", "America/New_York"]
    people = [UserFactory(time_zone=zone) for zone in zones]
    for person in people:
        services.registration_create(actor=person, event_id=paris_event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(actor=paris_event.created_by, event_id=paris_event.pk, reason="Venue closed")
    bodies = [body_of(person, CANCELLED) for person in people]
    assert "13:00 (America/New_York); 19:00 (Europe/Paris) at the venue" in bodies[0]
    assert "03:00 (Asia/Tokyo); 19:00 (Europe/Paris) at the venue" in bodies[1]
    assert "19:00 (Europe/Paris)" in bodies[2] and "at the venue" not in bodies[2]
    assert bodies[3] == bodies[0]
    assert all("Reason: Venue closed" in body for body in bodies)
