"""Retention (core.retention and notifications.retention) against the real database: each rule
deletes what it should, in batches, and nothing else; the audit trail is never touched."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from audit.models import AuditEvent
from audit.services import audit_record
from core import retention
from notifications.models import EmailStatus, Notification, OutgoingEmail
from notifications.registry import beat_schedule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - timedelta(days=400)


def test_every_rule_is_registered_and_beat_runs_them():
    assert {rule.name for rule in retention.rules()} == {
        "sessions",
        "refresh_tokens",
        "cache_rows",
        "read_notifications",
        "sent_emails",
    }
    assert beat_schedule()["retention"]["task"] == "core.tasks.purge_expired"


def test_delete_in_batches_deletes_every_match_and_nothing_else():
    user = UserFactory()
    Notification.objects.bulk_create(
        [Notification(recipient=user, kind="k.k", title=str(i), read_at=OLD if i % 2 else None) for i in range(25)]
    )
    queryset = Notification.objects.filter(read_at__isnull=False)
    assert retention.delete_in_batches(queryset, batch_size=4) == 12
    assert Notification.objects.count() == 13
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_read_notifications_go_after_their_days_unread_ones_stay(settings):
    settings.NOTIFICATIONS_READ_RETENTION_DAYS = 90
    user = UserFactory()
    old_read = Notification.objects.create(recipient=user, kind="k.k", title="old read", read_at=OLD)
    recent_read = Notification.objects.create(recipient=user, kind="k.k", title="recent", read_at=NOW)
    unread = Notification.objects.create(recipient=user, kind="k.k", title="unread")
    Notification.objects.filter(pk=unread.pk).update(created_at=OLD)

    assert retention.purge(now=NOW)["read_notifications"] == 1

    assert set(Notification.objects.values_list("pk", flat=True)) == {recent_read.pk, unread.pk}
    assert not Notification.objects.filter(pk=old_read.pk).exists()


def test_zero_days_keeps_everything(settings):
    settings.NOTIFICATIONS_READ_RETENTION_DAYS = 0
    settings.EMAIL_RETENTION_DAYS = 0
    user = UserFactory()
    Notification.objects.create(recipient=user, kind="k.k", title="old read", read_at=OLD)
    email = OutgoingEmail.objects.create(user=user, to_address=user.email, kind="k.k", status=EmailStatus.SENT)
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=OLD)

    deleted = retention.purge(now=NOW)

    assert (deleted["read_notifications"], deleted["sent_emails"]) == (0, 0)
    assert Notification.objects.count() == 1 and OutgoingEmail.objects.count() == 1


def test_sent_emails_go_after_their_days_unsent_ones_never(settings):
    settings.EMAIL_RETENTION_DAYS = 30
    user = UserFactory()

    def email(status, when, **fields):
        fields = {"kind": "k.k", **fields}
        row = OutgoingEmail.objects.create(user=user, to_address=user.email, status=status, **fields)
        OutgoingEmail.objects.filter(pk=row.pk).update(created_at=when)
        return row

    digest = email(EmailStatus.SENT, OLD, kind="notifications.digest")
    item = email(EmailStatus.DIGESTED, OLD, digest=digest)
    sent_old = email(EmailStatus.SENT, OLD)
    kept = [
        email(EmailStatus.SENT, NOW),
        email(EmailStatus.PENDING, OLD),
        email(EmailStatus.FAILED, OLD),
        email(EmailStatus.HELD, OLD),
        email(EmailStatus.SENDING, OLD),
    ]

    assert retention.purge(now=NOW)["sent_emails"] == 3

    assert set(OutgoingEmail.objects.values_list("pk", flat=True)) == {row.pk for row in kept}
    assert not OutgoingEmail.objects.filter(pk__in=[digest.pk, item.pk, sent_old.pk]).exists()


def test_expired_sessions_go_live_ones_stay():
    live, expired = SessionStore(), SessionStore()
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=NOW - timedelta(seconds=1))

    assert retention.purge(now=NOW)["sessions"] == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_expired_refresh_tokens_go_with_their_blacklist_rows_live_ones_stay():
    user = UserFactory()

    def token(jti, expires_at, blacklisted):
        row = OutstandingToken.objects.create(user=user, jti=jti, token="t", expires_at=expires_at)
        if blacklisted:
            BlacklistedToken.objects.create(token=row)
        return row

    token("expired-listed", NOW - timedelta(minutes=1), True)
    token("expired", NOW - timedelta(minutes=1), False)
    live = token("live-listed", NOW + timedelta(days=1), True)

    assert retention.purge(now=NOW)["refresh_tokens"] == 2

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live.jti]
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == [live.jti]


@pytest.fixture
def database_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": settings.CACHE_TABLE,
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    return DatabaseCache(settings.CACHE_TABLE, {"OPTIONS": {"MAX_ENTRIES": 100_000}})


def test_expired_cache_rows_go_live_ones_and_forever_ones_stay(database_cache):
    database_cache.set("throttle:old", 1, timeout=1)
    database_cache.set("throttle:live", 1, timeout=3600)
    database_cache.set("heartbeat", 1, timeout=None)

    deleted = retention.purge(now=timezone.now() + timedelta(seconds=60), batch_size=1)

    assert deleted["cache_rows"] == 1
    table = connection.ops.quote_name(database_cache._table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table} ORDER BY cache_key")
        assert [row[0] for row in cursor.fetchall()] == [":1:heartbeat", ":1:throttle:live"]


def test_the_audit_trail_is_never_deleted(settings):
    settings.NOTIFICATIONS_READ_RETENTION_DAYS = 1
    settings.EMAIL_RETENTION_DAYS = 1
    user = UserFactory()
    audit_record(actor=user, action="user.created", target=user)
    AuditEvent.objects.update(created_at=NOW - timedelta(days=3650))
    before = AuditEvent.objects.count()

    retention.purge(now=NOW + timedelta(days=3650))

    assert AuditEvent.objects.count() == before >= 1


def test_the_command_runs_every_rule():
    out = StringIO()
    call_command("purge_expired", "--batch-size", "10", stdout=out)
    assert {line.split(":")[0] for line in out.getvalue().splitlines()} == {rule.name for rule in retention.rules()}
