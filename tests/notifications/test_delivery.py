"""Delivery (issue 19): one worker at a time sends a row, the SENT mark follows the SMTP
server's acceptance, a stable Message-ID, retries that match the fault, and the sweep
that queues what no task holds. Against the real database, SQLite and PostgreSQL."""

import smtplib
import socket
import threading
import time
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core.mail.backends.base import BaseEmailBackend
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from notifications import tasks
from notifications.models import EmailStatus, OutgoingEmail
from notifications.registry import Kind, register, unregister
from notifications.services import email_deliver, email_requeue_unsent, email_sweep, notify
from notifications.services.delivery import emails_deliver, is_refusal, is_unreachable, smtp_answers
from notifications.tasks import deliver_email, deliver_emails
from tests.factories import UserFactory

from .conftest import PLAIN
from .test_fanout import queued_tasks, with_worker  # noqa: F401 - with_worker is a fixture

CONTEXT = {"name": "Django meetup", "starts": "18:00", "event_id": "e1"}
SCRIPTED = "tests.notifications.test_delivery.ScriptedBackend"


class ScriptedBackend(BaseEmailBackend):
    """Answers each message as the test scripted it (None: accepted), then accepts; counts sessions."""

    script: list = []
    open_error: Exception | None = None
    attempted: list = []
    sent: list = []
    opened = 0
    delay = 0.0

    def open(self):
        type(self).opened += 1
        if self.open_error is not None:
            raise self.open_error
        return True

    def send_messages(self, messages):
        for message in messages:
            time.sleep(self.delay)
            type(self).attempted.append(message.message()["Message-ID"])
            outcome = type(self).script.pop(0) if type(self).script else None
            if outcome is not None:
                raise outcome
            type(self).sent.append(message)
        return len(messages)


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = SCRIPTED
    ScriptedBackend.script, ScriptedBackend.sent, ScriptedBackend.attempted, ScriptedBackend.opened = [], [], [], 0
    ScriptedBackend.open_error, ScriptedBackend.delay = None, 0.0
    yield ScriptedBackend
    ScriptedBackend.script, ScriptedBackend.sent, ScriptedBackend.open_error = [], [], None


def pending_email(user=None, **fields):
    user = user or UserFactory()
    return OutgoingEmail.objects.create(user=user, to_address=user.email, kind=PLAIN, context=CONTEXT, **fields)


def age(email, **delta):
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(**delta))


# --- one worker at a time --------------------------------------------------------------


@pytest.mark.django_db
def test_a_row_another_delivery_holds_is_left_alone_until_its_lease_runs_out(smtp):
    email = pending_email(status=EmailStatus.SENDING, claimed_until=timezone.now() + timedelta(seconds=30))

    assert email_deliver(email_id=email.pk) is False
    assert smtp.sent == []

    OutgoingEmail.objects.filter(pk=email.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert email_deliver(email_id=email.pk) is True
    email.refresh_from_db()
    assert (email.status, email.attempts, email.claimed_until) == (EmailStatus.SENT, 1, None)
    assert len(smtp.sent) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_workers_one_row_one_sends(smtp):
    smtp.delay = 0.3  # the first sender is still talking to SMTP when the second arrives
    email = pending_email()
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            results.append(email_deliver(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(results) == [False, True]
    assert len(smtp.sent) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)


@pytest.mark.django_db
def test_a_duplicated_batch_sends_nothing_twice(smtp):
    emails = [pending_email() for _ in range(3)]
    ids = [str(email.pk) for email in emails]

    assert emails_deliver(email_ids=ids) == 3
    assert emails_deliver(email_ids=ids) == 0
    assert len(smtp.sent) == 3
    assert smtp.opened == 1  # one SMTP session for the batch


# --- the message -----------------------------------------------------------------------


@pytest.mark.django_db
def test_every_attempt_sends_the_same_message_id(smtp, settings):
    settings.DEFAULT_FROM_EMAIL = "Event Manager <noreply@events.example.org>"
    email = pending_email()
    smtp.script = [ConnectionResetError("reset by peer")]

    assert email_deliver(email_id=email.pk) is False
    smtp.script = [None]
    assert email_requeue_unsent() == 1

    assert smtp.attempted == [f"<{email.pk}@events.example.org>"] * 2
    assert len(smtp.sent) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)


# --- retries that match the fault ------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"4.2.1 mailbox busy")}), False),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 sender rejected", "noreply@localhost"), True),
        (smtplib.SMTPSenderRefused(451, b"4.3.0 try later", "noreply@localhost"), False),
        (smtplib.SMTPDataError(554, b"5.6.0 message refused"), True),
        (smtplib.SMTPDataError(452, b"4.3.1 out of memory"), False),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
        (socket.gaierror(-2, "Name or service not known"), False),
    ],
)
def test_only_a_5xx_refusal_of_the_message_is_final(error, refused):
    assert is_refusal(error) is refused


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror(-2, "Name or service not known"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPConnectError(421, b"4.3.2 service not available"), True),
        (smtplib.SMTPDataError(451, b"4.3.0 try again later"), False),  # the server answered about the message
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"4.2.1 mailbox busy")}), False),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), False),
        (KeyError("event_title"), False),  # a template's fault, not the server's
    ],
)
def test_only_a_server_that_did_not_answer_is_unreachable(error, unreachable):
    assert is_unreachable(error) is unreachable


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 no such user")}), False),
        (smtplib.SMTPDataError(451, b"4.3.0 try again later"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
    ],
)
def test_a_failure_is_recorded_with_a_retry_or_without(smtp, error, retried):
    email = pending_email()
    smtp.script = [error]

    assert email_deliver(email_id=email.pk) is False

    email.refresh_from_db()
    assert (email.status, email.attempts, email.claimed_until) == (EmailStatus.FAILED, 1, None)
    assert type(error).__name__ in email.last_error
    assert (email.next_attempt_at is not None) is retried


@pytest.mark.django_db
def test_the_retry_delay_doubles_up_to_its_cap(smtp, settings):
    settings.EMAIL_RETRY_MAX_DELAY = 15
    email = pending_email()
    delays = []
    for _ in range(4):
        smtp.script = [ConnectionResetError("reset")]
        before = timezone.now()
        emails_deliver(email_ids=[email.pk])
        email.refresh_from_db()
        delays.append((email.next_attempt_at - before).total_seconds())

    assert 4 <= delays[0] <= 6.1
    assert 8 <= delays[1] <= 12.1
    assert 12 <= delays[2] <= 18.1  # 20 s, capped at 15
    assert 12 <= delays[3] <= 18.1
    assert email.attempts == 4


@pytest.mark.django_db
def test_a_transient_failure_past_the_retry_window_is_given_up(smtp, settings):
    settings.EMAIL_RETRY_FOR_HOURS = 1
    email = pending_email()
    age(email, hours=2)
    smtp.script = [ConnectionResetError("reset")]

    emails_deliver(email_ids=[email.pk])

    email.refresh_from_db()
    assert (email.status, email.next_attempt_at) == (EmailStatus.FAILED, None)


@pytest.mark.django_db
def test_an_smtp_server_that_cannot_be_reached_costs_a_batch_one_connection(smtp):
    emails = [pending_email() for _ in range(4)]
    smtp.open_error = ConnectionRefusedError(111, "Connection refused")

    assert emails_deliver(email_ids=[email.pk for email in emails]) == 0

    assert smtp.opened == 1
    rows = OutgoingEmail.objects.filter(pk__in=[email.pk for email in emails])
    assert {(row.status, row.attempts, row.next_attempt_at is not None) for row in rows} == {
        (EmailStatus.FAILED, 1, True)
    }


@pytest.mark.django_db
def test_a_broken_session_is_reopened_for_the_rest_of_the_batch(smtp):
    emails = [pending_email() for _ in range(3)]
    smtp.script = [None, smtplib.SMTPServerDisconnected("gone"), None]

    assert emails_deliver(email_ids=[email.pk for email in emails]) == 2

    assert smtp.opened == 2
    statuses = sorted(OutgoingEmail.objects.values_list("status", flat=True))
    assert statuses == [EmailStatus.FAILED, EmailStatus.SENT, EmailStatus.SENT]


@pytest.mark.django_db
def test_one_emails_broken_render_hook_does_not_stop_its_batch(smtp):
    def broken(email):
        raise KeyError("event_title")

    register(Kind(key="tests.broken", label="Broken", channels=("email",), urgent=True, render=broken))
    try:
        broken_email = pending_email()
        OutgoingEmail.objects.filter(pk=broken_email.pk).update(kind="tests.broken")
        fine = pending_email()

        assert emails_deliver(email_ids=[broken_email.pk, fine.pk]) == 1
    finally:
        unregister("tests.broken")

    broken_email.refresh_from_db()
    assert (broken_email.status, broken_email.next_attempt_at is not None) == (EmailStatus.FAILED, True)
    assert "KeyError" in broken_email.last_error
    assert [message.to for message in smtp.sent] == [[fine.to_address]]


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError("terminating connection"), InterfaceError("connection closed")])
def test_a_database_error_hands_the_unsent_rows_back_and_is_raised(smtp, error):
    def lost_database(email):
        raise error

    register(Kind(key="tests.db_lost", label="DB lost", channels=("email",), urgent=True, render=lost_database))
    try:
        first, second = pending_email(), pending_email()
        OutgoingEmail.objects.filter(pk=second.pk).update(kind="tests.db_lost")
        age(first, seconds=1)  # the batch goes in created_at order: first, then second

        with pytest.raises(type(error)):
            emails_deliver(email_ids=[first.pk, second.pk])
    finally:
        unregister("tests.db_lost")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts) == (EmailStatus.SENT, 1)
    assert (second.status, second.attempts, second.queued_at, second.claim) == (EmailStatus.PENDING, 0, None, None)


@pytest.mark.parametrize("error", [OperationalError("terminating connection"), InterfaceError("closed")])
@pytest.mark.parametrize("task", [deliver_email, deliver_emails])
def test_the_task_retries_a_database_error(monkeypatch, error, task):
    def lost_database(**kwargs):
        raise error

    retried = []

    def retry(exc=None, countdown=None, **kwargs):
        retried.append((exc, countdown))
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(tasks, "emails_deliver", lost_database)
    monkeypatch.setattr(task, "retry", retry)

    with pytest.raises(Retry):
        task("3fa85f64-5717-4562-b3fc-2c963f66afa6" if task is deliver_email else ["3fa85f64"])

    [(exc, countdown)] = retried
    assert exc is error
    assert 4 <= countdown <= 6


# --- queued_at and the sweep -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_queued_at_is_set_only_once_the_broker_accepted_the_task(with_worker, verified_user):  # noqa: F811
    with transaction.atomic():
        email = notify(recipient=verified_user, kind=PLAIN, context=CONTEXT).email
        assert OutgoingEmail.objects.get(pk=email.pk).queued_at is None

    email.refresh_from_db()
    assert email.queued_at is not None
    assert [task for task, _ in queued_tasks()] == ["notifications.tasks.deliver_email"]


@pytest.mark.django_db
def test_an_email_whose_request_died_after_the_commit_is_swept_within_seconds(
    verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the process died before queueing it
        email = notify(recipient=verified_user, kind=PLAIN, context=CONTEXT).email

    assert email_sweep() == 0
    age(email, seconds=25)
    assert email_sweep() == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_sweep_takes_a_stranded_row_once_its_lease_ran_out(mailoutbox):
    live = pending_email(status=EmailStatus.SENDING, claimed_until=timezone.now() + timedelta(seconds=20))
    stranded = pending_email(status=EmailStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1))

    assert email_sweep() == 1

    assert [message.to for message in mailoutbox] == [[stranded.to_address]]
    live.refresh_from_db()
    assert live.status == EmailStatus.SENDING


@pytest.mark.django_db(transaction=True)
def test_the_sweep_queues_a_failed_row_when_due_and_once(with_worker):  # noqa: F811
    later = pending_email(status=EmailStatus.FAILED, next_attempt_at=timezone.now() + timedelta(minutes=1))
    due = pending_email(status=EmailStatus.FAILED, next_attempt_at=timezone.now() - timedelta(seconds=1))
    refused = pending_email(status=EmailStatus.FAILED, next_attempt_at=None)

    assert email_sweep() == 1
    assert email_sweep() == 0  # its task is in the queue: not queued again

    [(task, args)] = queued_tasks()
    assert (task, args) == ("notifications.tasks.deliver_email", [str(due.pk)])
    assert set(OutgoingEmail.objects.filter(pk__in=[later.pk, refused.pk]).values_list("queued_at", flat=True)) == {
        None
    }


@pytest.mark.django_db
def test_an_email_stranded_past_the_retry_window_is_given_up(settings, mailoutbox):
    settings.EMAIL_RETRY_FOR_HOURS = 1
    email = pending_email(status=EmailStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1))
    age(email, hours=2)

    assert email_sweep() == 0

    email.refresh_from_db()
    assert (email.status, email.next_attempt_at, email.claim) == (EmailStatus.FAILED, None, None)
    assert mailoutbox == []


# --- an SMTP server that is back is used at once ------------------------------------------


def _smtp_server(port):
    """A real SMTP server on `port` that accepts every message (aiosmtpd, in a thread)."""
    from aiosmtpd.controller import Controller

    class Accept:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def test_the_probe_says_whether_an_smtp_server_answers(settings):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    assert smtp_answers() is False  # nothing listens: refused
    server = _smtp_server(port)
    try:
        assert smtp_answers() is True
    finally:
        server.stop()
    assert smtp_answers() is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "retried_now"),
    [(ConnectionRefusedError(111, "Connection refused"), True), (smtplib.SMTPDataError(451, b"4.3.0 later"), False)],
)
def test_an_email_that_found_no_server_is_sent_as_soon_as_one_answers(smtp, error, retried_now):
    email = pending_email()
    if retried_now:
        smtp.open_error = error
    else:
        smtp.script = [error]
    emails_deliver(email_ids=[email.pk])
    email.refresh_from_db()
    assert (email.status, email.unreachable) == (EmailStatus.FAILED, retried_now)
    assert email.next_attempt_at > timezone.now()

    assert email_sweep() == 0  # no server yet (or it answered with a 4xx): the delay holds
    smtp.open_error = None
    sent = email_sweep()  # the probe reaches the server

    email.refresh_from_db()
    if retried_now:
        assert (sent, email.status, email.unreachable, len(smtp.sent)) == (1, EmailStatus.SENT, False, 1)
    else:  # a server that answered about the message keeps its delay
        assert (sent, email.status, len(smtp.sent)) == (0, EmailStatus.FAILED, 0)
