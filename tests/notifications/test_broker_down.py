"""Queueing is best-effort: with the broker down a registration still answers 201 and the
outbox row stays PENDING until the sweep (beat, or send_pending_emails) queues it again.
The broker here is a real Redis URL on a port nothing listens on; the integration suite
does the same against gunicorn (tests/integration/test_broker_down.py)."""

import logging
import socket
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from event_manager.celery import app as celery_app
from notifications.models import EmailStatus, OutgoingEmail
from notifications.registry import beat_schedule
from notifications.services import email_sweep

PAYLOAD = {"email": "broker.down@example.com", "password": "Secure*1234"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_connections():
    """Forget pooled broker connections, as Celery does after a fork, so the next publish uses the new URL."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery publishes to a closed port for the test, then goes back to in-process tasks."""
    # The app reads Django's CELERY_* settings, so its keys carry the namespace.
    saved = {key: celery_app.conf[key] for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")}
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    fresh_connections()
    yield
    celery_app.conf.update(saved)
    fresh_connections()


def age(minutes: int) -> None:
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.django_db(transaction=True)
def test_register_answers_201_and_leaves_the_email_pending(api_client, broker_down, caplog, mailoutbox):
    with caplog.at_level(logging.WARNING, logger="notifications"):
        response = api_client.post("/register/", PAYLOAD, format="json")

    assert response.status_code == 201, response.content
    email = OutgoingEmail.objects.get(to_address=PAYLOAD["email"])
    assert (email.status, email.queued_at, email.attempts) == (EmailStatus.PENDING, None, 0)
    assert [record.getMessage() for record in caplog.records] == [
        "email not queued: broker unavailable; the sweep will queue it again"
    ]
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_what_the_broker_missed_once_it_is_back(api_client, broker_down, mailoutbox):
    api_client.post("/register/", PAYLOAD, format="json")
    assert email_sweep() == 0  # while it is down (and the row is new), nothing is lost or counted
    age(2)
    assert email_sweep() == 0  # still down: not counted as queued
    assert OutgoingEmail.objects.get().queued_at is None


@pytest.mark.django_db(transaction=True)
def test_after_the_outage_the_sweep_delivers_once(api_client, broker_down, mailoutbox):
    api_client.post("/register/", PAYLOAD, format="json")
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)  # the broker is back (in-process here)

    assert email_sweep() == 0  # younger than a minute
    age(2)
    assert email_sweep() == 1
    assert email_sweep() == 0
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    assert [message.to for message in mailoutbox] == [[PAYLOAD["email"]]]


@pytest.mark.django_db
def test_a_queued_email_is_swept_again_only_when_its_task_is_long_overdue(verified_user, mailoutbox):
    stale = OutgoingEmail.objects.create(user=verified_user, to_address="a@example.com", kind="users.verify_email")
    OutgoingEmail.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(minutes=30), queued_at=timezone.now() - timedelta(minutes=5)
    )
    assert email_sweep() == 0  # its task may still be waiting in the queue
    OutgoingEmail.objects.filter(pk=stale.pk).update(queued_at=timezone.now() - timedelta(minutes=20))
    assert email_sweep() == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_send_pending_emails_is_the_sweep_of_the_embedded_default(api_client, broker_down, mailoutbox):
    api_client.post("/register/", PAYLOAD, format="json")
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    age(2)

    call_command("send_pending_emails")

    assert OutgoingEmail.objects.get().status == EmailStatus.SENT
    assert len(mailoutbox) == 1


def test_beat_runs_the_sweep_every_minute_and_the_digest_daily():
    schedule = beat_schedule()
    assert schedule["notifications.sweep"]["task"] == "notifications.tasks.sweep_emails"
    assert schedule["notifications.sweep"]["schedule"] == 60
    assert schedule["notifications.digests"]["task"] == "notifications.tasks.send_digests"
    celery_app.finalize()
    assert set(schedule) <= set(celery_app.conf.beat_schedule)
    assert {"notifications.tasks.sweep_emails", "notifications.tasks.send_digests"} <= set(celery_app.tasks)


def test_publishing_is_bounded(settings):
    assert settings.CELERY_TASK_PUBLISH_RETRY_POLICY["max_retries"] <= 1
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] <= 2
    assert celery_app.conf.broker_connection_timeout <= 2


def test_compose_runs_one_beat_with_the_apps_settings():
    from pathlib import Path

    import yaml

    services = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())["services"]
    beat = services["beat"]
    command = " ".join(beat["command"])

    assert command.startswith("celery -A event_manager beat")
    assert beat["environment"] == services["worker"]["environment"]  # same broker, database and SMTP
    assert beat["image"] == services["worker"]["image"]
    assert beat["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert beat["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "--beat" not in services["worker"]["command"] and "-B" not in services["worker"]["command"]  # exactly one
    assert beat.get("deploy", {}).get("replicas", 1) == 1
