"""A large notify_many with a worker: the request writes one FanOut row; the worker's task writes
the rows. The broker here is kombu's in-memory transport (nothing consumes it); the task body
is then run as the worker runs it. Against the real database, SQLite and PostgreSQL."""

import pytest
from django.db import transaction

from event_manager.celery import app as celery_app
from notifications.models import EmailStatus, FanOut, FanOutStatus, Notification, OutgoingEmail
from notifications.services import email_sweep, fanout_expand, notify_many
from notifications.tasks import expand_fanout
from tests.factories import UserFactory

from .conftest import PLAIN
from .test_broker_down import broker_down, fresh_connections  # noqa: F401 - broker_down is a fixture

CONTEXT = {"name": "Big conference", "starts": "09:00", "event_id": "e1"}


@pytest.fixture
def with_worker(settings):
    """Tasks are published to a broker instead of running in-process; fan-outs above 3 are deferred."""
    settings.NOTIFICATIONS_FANOUT_INLINE_MAX = 3
    saved = {key: celery_app.conf[key] for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")}
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://localhost/")
    fresh_connections()
    with celery_app.connection_for_write() as conn:
        celery_app.control.purge(connection=conn)
    yield
    celery_app.conf.update(saved)
    fresh_connections()


def queued_tasks():
    """Names and arguments of what was published and not consumed."""
    messages = []
    with celery_app.connection_for_write() as conn:
        queue = conn.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            messages.append((message.headers["task"], message.payload[0]))
            message.ack()
        queue.close()
    return messages


@pytest.mark.django_db(transaction=True)
def test_the_request_writes_one_row_and_the_worker_writes_the_rest(
    with_worker, mailoutbox, django_assert_max_num_queries
):
    people = UserFactory.create_batch(6)
    actor = UserFactory()

    with django_assert_max_num_queries(4), transaction.atomic():
        assert notify_many(recipients=[p.pk for p in people], kind=PLAIN, context=CONTEXT, actor=actor) == 6

    fanout = FanOut.objects.get()
    assert (fanout.status, fanout.recipients, fanout.kind) == (FanOutStatus.PENDING, 6, PLAIN)
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()
    [(task, args)] = queued_tasks()
    assert (task, args) == ("notifications.tasks.expand_fanout", [str(fanout.pk)])

    # The worker runs the task: rows in bulk, emails queued in batches after its commit.
    assert expand_fanout(str(fanout.pk)) == 6
    assert Notification.objects.filter(kind=PLAIN, actor=actor).count() == 6
    assert OutgoingEmail.objects.filter(status=EmailStatus.PENDING).exclude(queued_at=None).count() == 6
    assert [task for task, _ in queued_tasks()] == ["notifications.tasks.deliver_emails"]
    fanout.refresh_from_db()
    assert fanout.status == FanOutStatus.DONE

    # A duplicated task writes nothing more.
    assert fanout_expand(fanout_id=fanout.pk) == 0
    FanOut.objects.filter(pk=fanout.pk).update(status=FanOutStatus.PENDING)
    assert fanout_expand(fanout_id=fanout.pk) == 0
    assert Notification.objects.count() == 6
    assert OutgoingEmail.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_small_fan_out_is_written_in_the_request(with_worker):
    people = UserFactory.create_batch(3)

    notify_many(recipients=people, kind=PLAIN, context=CONTEXT)

    assert not FanOut.objects.exists()
    assert Notification.objects.count() == 3
    assert [task for task, _ in queued_tasks()] == ["notifications.tasks.deliver_emails"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_fan_out(with_worker):
    people = UserFactory.create_batch(5)

    with pytest.raises(RuntimeError), transaction.atomic():
        notify_many(recipients=people, kind=PLAIN, context=CONTEXT)
        raise RuntimeError("the cancellation failed")

    assert not FanOut.objects.exists()
    assert queued_tasks() == []


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_fan_out_waits_for_the_sweep(settings, broker_down, mailoutbox):  # noqa: F811
    settings.NOTIFICATIONS_FANOUT_INLINE_MAX = 3
    people = UserFactory.create_batch(5)

    with transaction.atomic():
        notify_many(recipients=people, kind=PLAIN, context=CONTEXT, dedupe_key="cancel:e1")

    fanout = FanOut.objects.get()
    assert (fanout.status, fanout.queued_at) == (FanOutStatus.PENDING, None)

    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)  # the broker is back (in-process here)
    FanOut.objects.update(created_at=fanout.created_at.replace(year=fanout.created_at.year - 1))
    email_sweep()

    fanout.refresh_from_db()
    assert fanout.status == FanOutStatus.DONE
    assert Notification.objects.count() == 5
    assert sorted(message.to[0] for message in mailoutbox) == sorted(p.email for p in people)
    assert OutgoingEmail.objects.filter(dedupe_key__endswith=":cancel:e1").count() == 5
