"""The daily digest against the real database: held emails gathered into one per member, once a day."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import EmailStatus, NotificationPreference, OutgoingEmail
from notifications.registry import DAILY
from notifications.services import digest_send, notify
from tests.factories import UserFactory

from .conftest import PLAIN, URGENT
from .test_email import free_port, use_smtp

pytestmark = pytest.mark.django_db


def hold(user, name, capture):
    with capture(execute=True):
        return notify(recipient=user, kind=PLAIN, context={"name": name, "starts": "18:00", "event_id": name}).email


def run_digests():
    out = StringIO()
    call_command("send_digests", stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def digest_due(settings):
    """Digests are due from midnight local time, so these tests do not depend on the hour they run at."""
    settings.NOTIFICATIONS_DIGEST_TIME = "00:00"


@pytest.fixture
def daily_member(db):
    member = UserFactory()
    NotificationPreference.objects.create(user=member, kind=PLAIN, digest=DAILY)
    return member


def test_one_digest_per_member_lists_every_held_item(
    daily_member, mailoutbox, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    other = UserFactory()
    NotificationPreference.objects.create(user=other, kind=PLAIN, digest=DAILY)
    held = [hold(daily_member, name, django_capture_on_commit_callbacks) for name in ("Meetup", "Workshop")]
    hold(other, "Conference", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=daily_member, kind=URGENT, context={"what": "login"})  # urgent: not held
    assert [message.subject for message in mailoutbox] == ["Security: login"]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert "Queued 2 digest(s)." in run_digests()

    assert sorted(message.to[0] for message in mailoutbox) == sorted([daily_member.email, other.email])
    mine = next(message for message in mailoutbox if message.to == [daily_member.email])
    assert mine.subject == "Your Event Manager digest: 2 updates"
    assert "Meetup changed" in mine.body and "Workshop changed" in mine.body
    assert "It now starts at 18:00." in mine.body
    assert "/events/Meetup" in mine.alternatives[0].content
    digest = OutgoingEmail.objects.get(user=daily_member, kind="notifications.digest")
    assert digest.status == EmailStatus.SENT
    for email in held:
        email.refresh_from_db()
        assert (email.status, email.digest_id) == (EmailStatus.DIGESTED, digest.pk)


def test_running_twice_a_day_mails_once(daily_member, mailoutbox, django_capture_on_commit_callbacks):
    hold(daily_member, "Meetup", django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        run_digests()
    hold(daily_member, "Later the same day", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert "Queued 0 digest(s)." in run_digests()

    assert len(mailoutbox) == 1
    late = OutgoingEmail.objects.get(context__name="Later the same day")
    assert late.status == EmailStatus.HELD  # waits for tomorrow's digest

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=timezone.now() + timedelta(days=1)) == 1
    assert len(mailoutbox) == 2
    assert "Later the same day changed" in mailoutbox[1].body


def test_no_held_items_no_digest(verified_user, mailoutbox):
    assert "Queued 0 digest(s)." in run_digests()
    assert mailoutbox == []
    assert not OutgoingEmail.objects.exists()


def test_a_digest_that_failed_is_retried_by_the_sweep_not_rebuilt(
    daily_member, mailoutbox, settings, django_capture_on_commit_callbacks
):
    hold(daily_member, "Meetup", django_capture_on_commit_callbacks)
    use_smtp(settings, free_port())  # an SMTP server that is down
    with django_capture_on_commit_callbacks(execute=True):
        run_digests()
    digest = OutgoingEmail.objects.get(kind="notifications.digest")
    assert digest.status == EmailStatus.FAILED

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_pending_emails", "--older-than", "0", stdout=StringIO())

    digest.refresh_from_db()
    assert digest.status == EmailStatus.SENT
    assert len(mailoutbox) == 1
    assert OutgoingEmail.objects.filter(kind="notifications.digest").count() == 1


def at(hour, minute=0, day=2):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "too_early", "due"),
    [
        ("UTC", at(6, 59), at(7, 0)),
        ("Europe/Paris", at(5, 59), at(6, 0)),  # 07:00 CET is 06:00 UTC
        ("America/New_York", at(11, 59), at(12, 0)),  # 07:00 EST is 12:00 UTC
        ("Asia/Kolkata", at(1, 29), at(1, 30)),  # 07:00 IST is 01:30 UTC
    ],
)
def test_the_digest_goes_at_seven_in_the_recipients_time_zone(
    settings, mailoutbox, django_capture_on_commit_callbacks, zone, too_early, due
):
    settings.NOTIFICATIONS_DIGEST_TIME = "07:00"
    member = UserFactory(time_zone=zone)
    NotificationPreference.objects.create(user=member, kind=PLAIN, digest=DAILY)
    email = hold(member, "Meetup", django_capture_on_commit_callbacks)
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=at(0, 0, day=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=too_early) == 0
        assert digest_send(now=due) == 1
        assert digest_send(now=due + timedelta(hours=3)) == 0  # later runs the same local day

    assert len(mailoutbox) == 1
    digest = OutgoingEmail.objects.get(kind="notifications.digest")
    assert digest.context["date"] == due.astimezone(ZoneInfo(zone)).date().isoformat()


def test_one_digest_per_local_day_even_when_utc_dates_differ(settings, django_capture_on_commit_callbacks):
    """In Auckland (UTC+13 in March) 07:00 on the 2nd is 18:00 UTC on the 1st: one digest for the 2nd."""
    settings.NOTIFICATIONS_DIGEST_TIME = "07:00"
    member = UserFactory(time_zone="Pacific/Auckland")
    NotificationPreference.objects.create(user=member, kind=PLAIN, digest=DAILY)
    email = hold(member, "Meetup", django_capture_on_commit_callbacks)
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=at(0, 0, day=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=at(18, 0, day=1)) == 1
        assert digest_send(now=at(1, 0, day=2)) == 0  # 14:00 on the 2nd in Auckland: already sent

    digest = OutgoingEmail.objects.get(kind="notifications.digest")
    assert digest.dedupe_key.endswith(":2026-03-02")


def test_any_hour_sends_before_the_digest_time_once_a_day(settings, daily_member, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_DIGEST_TIME = "07:00"
    hold(daily_member, "Meetup", django_capture_on_commit_callbacks)
    OutgoingEmail.objects.update(created_at=at(0, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=at(3, 0)) == 0
        assert digest_send(now=at(3, 0), any_hour=True) == 1
        assert digest_send(now=at(8, 0)) == 0
    assert OutgoingEmail.objects.filter(kind="notifications.digest").count() == 1


def test_the_command_sends_at_any_hour_when_asked(settings, daily_member, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_DIGEST_TIME = "23:59"
    hold(daily_member, "Meetup", django_capture_on_commit_callbacks)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", "--any-hour", stdout=out)
    assert "Queued 1 digest(s)." in out.getvalue()
