"""Operators are told (issue 19): /health is degraded while emails wait or fail, or while the
worker's heartbeat is late; the admin home shows those emails with a "Send again" button."""

import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from event_manager import views
from notifications import heartbeat
from notifications.models import EmailStatus, OutgoingEmail
from notifications.templatetags.notifications_admin import outbox_attention
from tests.factories import UserFactory

from .conftest import PLAIN

pytestmark = pytest.mark.django_db

OUTBOX = reverse("admin:notifications_outgoingemail_changelist")


def email(status, minutes_old=0, **fields):
    user = UserFactory()
    row = OutgoingEmail.objects.create(user=user, to_address=user.email, kind=PLAIN, status=status, **fields)
    OutgoingEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_old))
    return row


@pytest.fixture
def broker_up(monkeypatch, settings):
    """A worker is configured and its broker answers (the probe itself is tested in tests/hardening)."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(views, "_broker", lambda: views.OK)


def health(api_client):
    response = api_client.get("/health")
    assert response.status_code == 200
    return response.json()


# --- /health ---------------------------------------------------------------------------


def test_emails_sent_in_time_and_refusals_leave_health_ok(api_client):
    email(EmailStatus.PENDING, minutes_old=4)
    email(EmailStatus.SENT, minutes_old=60)
    email(EmailStatus.FAILED, minutes_old=60, next_attempt_at=None)  # refused: for a person, not a pager

    assert health(api_client) == {"status": "ok", "database": "ok", "cache": "ok", "broker": "not configured"}


@pytest.mark.parametrize("status", [EmailStatus.PENDING, EmailStatus.SENDING])
def test_an_email_waiting_too_long_degrades_health(api_client, settings, status):
    settings.NOTIFICATIONS_LATE_MINUTES = 5
    email(status, minutes_old=6)

    assert health(api_client) == {
        "status": "degraded",
        "database": "ok",
        "cache": "ok",
        "broker": "not configured",
        "detail": "Outbox: 1 email(s) not sent after 5 minutes.",
    }


def test_a_failed_email_waiting_for_its_retry_degrades_health(api_client):
    email(EmailStatus.FAILED, next_attempt_at=timezone.now() + timedelta(minutes=1))
    email(EmailStatus.FAILED, next_attempt_at=timezone.now() + timedelta(minutes=2))

    body = health(api_client)

    assert (body["status"], body["detail"]) == ("degraded", "Outbox: 2 email(s) failed, to be retried.")


def test_a_fresh_heartbeat_is_ok_and_a_late_one_degrades_health(api_client, broker_up, settings):
    settings.WORKER_HEARTBEAT_INTERVAL = 30
    heartbeat.beat()
    assert health(api_client) == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}

    from django.core.cache import cache

    cache.set(heartbeat.KEY, time.time() - 100, timeout=None)
    body = health(api_client)

    assert body["status"] == "degraded"
    assert body["detail"].startswith("Worker: last heartbeat 10") and body["detail"].endswith(" s ago.")


def test_no_heartbeat_recorded_says_nothing_about_the_worker(api_client, broker_up):
    assert health(api_client) == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_the_worker_beats_once_at_start(settings):
    assert heartbeat.silence() is None
    heartbeat.beat()
    assert 0 <= heartbeat.silence() < 1
    assert not heartbeat.is_late(heartbeat.silence())


# --- the admin home --------------------------------------------------------------------


def test_the_admin_home_shows_waiting_and_failed_emails(admin_site_client, settings):
    settings.NOTIFICATIONS_LATE_MINUTES = 5
    email(EmailStatus.PENDING, minutes_old=10)
    email(EmailStatus.FAILED, next_attempt_at=timezone.now() + timedelta(minutes=1))
    email(EmailStatus.FAILED, next_attempt_at=None)

    page = admin_site_client.get(reverse("admin:index")).content.decode()

    assert "1 email not sent after 5 minutes" in page
    assert "2 emails failed in the last 7 days" in page
    assert "(1 to be retried by themselves)" in page
    assert f'href="{OUTBOX}?attention=waiting"' in page
    assert f'href="{OUTBOX}?attention=failed"' in page
    assert page.count('<input type="submit" value="Send again">') == 2
    assert page.count('name="_selected_action" value="all"') == page.count('name="select_across" value="1"') == 2


def test_the_admin_home_says_nothing_when_all_is_sent(admin_site_client):
    email(EmailStatus.SENT, minutes_old=60)

    assert 'id="outbox-banner"' not in admin_site_client.get(reverse("admin:index")).content.decode()


def test_the_banner_counts_only_for_those_who_may_view_the_outbox(verified_user, manager_user):
    email(EmailStatus.FAILED, next_attempt_at=None)

    assert outbox_attention({"request": SimpleNamespace(user=verified_user)}) is None
    assert outbox_attention({"request": SimpleNamespace(user=manager_user)}).failed == 1


def test_send_again_from_the_banner_sends_the_failed_emails(admin_site_client, mailoutbox):
    failed = email(EmailStatus.FAILED, next_attempt_at=None, last_error="SMTPRecipientsRefused: …")
    email(EmailStatus.SENT)

    response = admin_site_client.post(
        f"{OUTBOX}?attention=failed",
        {"action": "send_again", "select_across": "1", "index": "0", "_selected_action": "all"},
        follow=True,
    )

    assert "Queued 1 email(s)." in [str(message) for message in response.context["messages"]]
    failed.refresh_from_db()
    assert failed.status == EmailStatus.SENT
    assert [message.to for message in mailoutbox] == [[failed.to_address]]


@pytest.mark.parametrize(("attention", "expected"), [("waiting", {"waiting"}), ("failed", {"failed", "retrying"})])
def test_the_outbox_lists_what_the_banner_counted(admin_site_client, settings, attention, expected):
    settings.NOTIFICATIONS_LATE_MINUTES = 5
    rows = {
        "waiting": email(EmailStatus.SENDING, minutes_old=10),
        "recent": email(EmailStatus.PENDING, minutes_old=1),
        "failed": email(EmailStatus.FAILED, next_attempt_at=None),
        "retrying": email(EmailStatus.FAILED, next_attempt_at=timezone.now()),
        "old_failure": email(EmailStatus.FAILED, minutes_old=8 * 24 * 60),
    }

    listed = {row.pk for row in admin_site_client.get(OUTBOX, {"attention": attention}).context["cl"].result_list}

    assert listed == {rows[name].pk for name in expected}
