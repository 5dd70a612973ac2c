"""Management commands: seed_events and send_reminders."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from events import services
from events.models import Event, EventStatus, Registration, RegistrationStatus
from notifications.models import OutgoingEmail
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_events_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_events")
    assert not Event.objects.exists()


def test_seed_events_makes_every_state_with_registrations(settings):
    settings.DEBUG = False
    out = StringIO()
    call_command("seed_events", "--force", "--seed", "7", "--members", "30", stdout=out)
    assert "Created" in out.getvalue()
    statuses = set(Event.objects.values_list("status", flat=True))
    assert statuses == set(EventStatus.values)
    assert Registration.objects.filter(status=RegistrationStatus.WAITLISTED).exists()
    assert Registration.objects.filter(status=RegistrationStatus.ATTENDED).exists()
    assert Registration.objects.filter(status=RegistrationStatus.CANCELLED).exists()
    assert Event.objects.filter(ends_at__lt=timezone.now()).exists()
    for event in Event.objects.all():  # the seat counters agree with the rows
        seats = event.registrations.filter(status__in=["CONFIRMED", "ATTENDED"]).count()
        assert event.seats_taken == seats
    assert not OutgoingEmail.objects.exists()  # seeding mails nobody


def test_send_reminders_command_is_idempotent():
    event = EventFactory(starts_at=timezone.now() + timedelta(hours=12))
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    out = StringIO()
    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)
    assert out.getvalue().splitlines() == ["Reminded 1 person.", "Reminded 0 people."]
    assert OutgoingEmail.objects.filter(user=person, kind="events.reminder").count() == 1


def test_beat_runs_the_reminders():
    from notifications.registry import beat_schedule

    entry = beat_schedule()["events.reminders"]
    assert entry["task"] == "events.tasks.send_reminders"
    from events.tasks import send_reminders

    assert send_reminders.name == "events.tasks.send_reminders"


def test_seed_events_if_empty_runs_once(settings):
    settings.DEBUG = True
    call_command("seed_events", "--if-empty", "--members", "12", stdout=StringIO())
    count = Event.objects.count()
    out = StringIO()
    call_command("seed_events", "--if-empty", stdout=out)
    assert "nothing seeded" in out.getvalue()
    assert Event.objects.count() == count
