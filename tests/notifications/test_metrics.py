"""The notifications' metrics as a scrape of /metrics shows them: fan-out sizes by kind,
and the outbox by status with the age of its oldest unsent email, read at scrape time with
a fixed number of queries. Against the real database, SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import EmailStatus, FanOut, OutgoingEmail
from notifications.selectors import outbox_counts, outbox_oldest_unsent_age
from notifications.services import fanout_expand, notify_many
from tests.factories import UserFactory

from .conftest import IN_APP_ONLY, PLAIN
from .test_fanout import with_worker  # noqa: F401 - a fixture

TOKEN = "metrics-test-token-0123456789"
FANOUT = "event_manager_notification_fanout_recipients"
CONTEXT = {"name": "Big conference", "starts": "09:00", "event_id": "e1"}


@pytest.fixture
def scrape(client, settings):
    """Scrape /metrics as Prometheus does; {(sample name, sorted labels): value}."""
    settings.METRICS_TOKEN = TOKEN

    def scrape():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return scrape


def fanout(samples, kind, suffix, **labels):
    return samples.get((f"{FANOUT}_{suffix}", tuple(sorted({"kind": kind, **labels}.items()))), 0.0)


def outbox(samples, status):
    return samples[("event_manager_outbox_emails", (("status", status),))]


def oldest(samples):
    return samples[("event_manager_outbox_oldest_pending_age_seconds", ())]


def emails(user, status, count, *, age=timedelta()):
    rows = [
        OutgoingEmail.objects.create(user=user, to_address=user.email, kind=PLAIN, status=status) for _ in range(count)
    ]
    OutgoingEmail.objects.filter(pk__in=[row.pk for row in rows]).update(created_at=timezone.now() - age)


# --- The outbox, read at scrape time --------------------------------------------------------


def test_the_outbox_by_status_and_its_oldest_unsent_email(db, scrape):
    user = UserFactory()
    emails(user, EmailStatus.PENDING, 2, age=timedelta(minutes=5))
    emails(user, EmailStatus.PENDING, 1, age=timedelta(hours=1))
    emails(user, EmailStatus.FAILED, 1, age=timedelta(days=2))
    emails(user, EmailStatus.SENT, 4, age=timedelta(days=3))
    emails(user, EmailStatus.HELD, 2, age=timedelta(days=4))  # waits for the digest, not late
    samples = scrape()
    assert outbox(samples, "pending") == 3
    assert outbox(samples, "sending") == 0
    assert outbox(samples, "failed") == 1
    assert {labels for name, labels in samples if name == "event_manager_outbox_emails"} == {
        (("status", "pending"),),
        (("status", "sending"),),
        (("status", "failed"),),
    }
    assert 3600 <= oldest(samples) < 2 * 3600

    OutgoingEmail.objects.filter(status=EmailStatus.PENDING).update(status=EmailStatus.SENT)
    samples = scrape()
    assert (outbox(samples, "pending"), outbox(samples, "failed"), oldest(samples)) == (0, 1, 0)


def test_a_stranded_sending_email_is_unsent_too(db):
    user = UserFactory()
    emails(user, EmailStatus.SENDING, 1)
    written = OutgoingEmail.objects.get().created_at
    assert outbox_counts() == {"pending": 0, "sending": 1, "failed": 0}
    assert outbox_oldest_unsent_age(now=written + timedelta(minutes=30)) == 1800.0


def test_an_empty_outbox(db, scrape):
    samples = scrape()
    assert [outbox(samples, status) for status in ("pending", "sending", "failed")] == [0, 0, 0]
    assert oldest(samples) == 0


def outbox_queries(scrape) -> tuple[int, int]:
    """(queries on the outbox table, all queries) made by one scrape."""
    with CaptureQueriesContext(connection) as captured:
        scrape()
    table = OutgoingEmail._meta.db_table
    return sum(table in query["sql"] for query in captured.captured_queries), len(captured)


def test_the_scrape_makes_two_queries_however_full_the_outbox(db, scrape):
    empty = outbox_queries(scrape)
    user = UserFactory()
    for status in (EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.FAILED, EmailStatus.SENT):
        emails(user, status, 25)
    assert empty[0] == 2
    assert outbox_queries(scrape) == empty


# --- Fan-out sizes -----------------------------------------------------------------------------


def test_a_fan_out_is_observed_once_with_its_size_and_kind(db, scrape, django_capture_on_commit_callbacks):
    people = UserFactory.create_batch(4)
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many(recipients=people, kind=PLAIN, context=CONTEXT) == 4
    with django_capture_on_commit_callbacks(execute=True):
        notify_many(recipients=people[:1], kind=IN_APP_ONLY, context={"badge": "gold"})
    after = scrape()
    assert fanout(after, PLAIN, "count") == fanout(before, PLAIN, "count") + 1
    assert fanout(after, PLAIN, "sum") == fanout(before, PLAIN, "sum") + 4
    assert fanout(after, PLAIN, "bucket", le="2.0") == fanout(before, PLAIN, "bucket", le="2.0")
    assert fanout(after, PLAIN, "bucket", le="5.0") == fanout(before, PLAIN, "bucket", le="5.0") + 1
    assert fanout(after, IN_APP_ONLY, "sum") == fanout(before, IN_APP_ONLY, "sum") + 1
    assert outbox(after, "pending") == 0  # emailed in-process at commit


def test_a_fan_out_to_nobody_is_not_observed(db, scrape, django_capture_on_commit_callbacks):
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many(recipients=[], kind=PLAIN, context=CONTEXT) == 0
    assert fanout(scrape(), PLAIN, "count") == fanout(before, PLAIN, "count")


@pytest.mark.django_db(transaction=True)
def test_a_deferred_fan_out_counts_once_not_again_in_the_worker(with_worker, scrape):  # noqa: F811
    people = UserFactory.create_batch(6)
    before = scrape()
    with transaction.atomic():
        notify_many(recipients=people, kind=PLAIN, context=CONTEXT)
    assert fanout(scrape(), PLAIN, "count") == fanout(before, PLAIN, "count") + 1
    assert fanout_expand(fanout_id=FanOut.objects.get().pk) == 6
    after = scrape()
    assert fanout(after, PLAIN, "count") == fanout(before, PLAIN, "count") + 1
    assert fanout(after, PLAIN, "sum") == fanout(before, PLAIN, "sum") + 6
    assert outbox(after, "pending") == 6  # written by the worker; queued to a broker nothing consumes
