"""The verification email: outbox row, delivery after commit, SMTP failures, a real SMTP server."""

import email
import email.policy
import logging
import re
import socket
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from notifications.models import EmailStatus, OutgoingEmail
from notifications.services import email_deliver, email_requeue_unsent
from notifications.tasks import deliver_email
from users.models import Role, User
from users.notices import VERIFY_EMAIL
from users.services import user_register

PAYLOAD = {"email": "mail.member@example.com", "password": "Secure*1234", "nickname": "mail_member"}
TOKEN_RE = re.compile(r"[0-9a-z]{1,13}-[0-9a-f]{32}")
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_smtp(settings, port):
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def stored_text(row):
    return " ".join(str(getattr(row, field.attname)) for field in OutgoingEmail._meta.concrete_fields)


def register(api_client, capture):
    with capture(execute=True):
        response = api_client.post("/register/", PAYLOAD, format="json")
    assert response.status_code == 201, response.content
    return User.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_registration_records_a_sent_outbox_row(api_client, mailoutbox, django_capture_on_commit_callbacks):
    user = register(api_client, django_capture_on_commit_callbacks)

    row = OutgoingEmail.objects.get(user=user)
    assert (row.kind, row.status, row.attempts, row.to_address) == (
        VERIFY_EMAIL,
        EmailStatus.SENT,
        1,
        PAYLOAD["email"],
    )
    assert row.sent_at is not None
    assert row.last_error == ""
    assert len(mailoutbox) == 1
    assert "verify-email" not in stored_text(row)
    assert not TOKEN_RE.search(stored_text(row))


@pytest.mark.django_db
def test_delivering_a_sent_email_again_sends_nothing(api_client, mailoutbox, django_capture_on_commit_callbacks):
    user = register(api_client, django_capture_on_commit_callbacks)
    row = OutgoingEmail.objects.get(user=user)

    assert email_deliver(email_id=row.pk) is False
    deliver_email.delay(str(row.pk))
    assert email_requeue_unsent() == 0

    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (EmailStatus.SENT, 1)


@pytest.mark.django_db
def test_delivering_an_unknown_email_id_sends_nothing(mailoutbox):
    assert email_deliver(email_id="3fa85f64-5717-4562-b3fc-2c963f66afa6") is False
    assert mailoutbox == []


def _log_text(records):
    formatter = logging.Formatter()
    parts = []
    for record in records:
        parts.append(str(record.__dict__))
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
    return "\n".join(parts)


@pytest.mark.django_db(transaction=True)
def test_smtp_failure_keeps_the_account_and_marks_the_email_failed(api_client, settings, caplog, mailoutbox):
    use_smtp(settings, free_port())

    with caplog.at_level(logging.INFO):
        response = api_client.post("/register/", PAYLOAD, format="json")

    assert response.status_code == 201, response.content
    user = User.objects.get(pk=response.json()["id"])
    assert user.role == Role.ANONYMOUS
    row = OutgoingEmail.objects.get(user=user)
    assert row.status == EmailStatus.FAILED
    assert row.attempts >= 1
    assert row.last_error
    assert row.sent_at is None
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("notifications")]
    assert warnings, [(r.name, r.getMessage()) for r in caplog.records]
    text = _log_text(caplog.records)
    assert "verify-email" not in text
    assert not TOKEN_RE.search(text)

    # Once the server is back (here: the in-memory backend), the retry command delivers it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_requeue_unsent() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (EmailStatus.SENT, 2, "")
    assert [message.to for message in mailoutbox] == [[PAYLOAD["email"]]]


@pytest.mark.django_db(transaction=True)
def test_no_email_when_the_transaction_rolls_back(mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        user_register(**PAYLOAD)
        raise RuntimeError("something later in the same transaction failed")

    assert mailoutbox == []
    assert not User.objects.exists()
    assert not OutgoingEmail.objects.exists()


class _Sink:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_delivery_through_a_real_smtp_server(api_client, settings, smtp_server):
    controller, sink = smtp_server
    use_smtp(settings, controller.port)

    response = api_client.post("/register/", PAYLOAD, format="json")

    assert response.status_code == 201, response.content
    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert envelope.rcpt_tos == [PAYLOAD["email"]]
    assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["To"] == PAYLOAD["email"]
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    link_re = re.escape(settings.SERVER_BASE_URL) + r"/verify-email/[0-9a-f-]{36}/[0-9a-z]+-[0-9a-f]+"
    links = {kind: set(re.findall(link_re, body)) for kind, body in parts.items()}
    assert links["text/plain"] and links["text/plain"] == links["text/html"]
    [link] = links["text/plain"]
    assert f"/verify-email/{response.json()['id']}/" in link
    row = OutgoingEmail.objects.get(user_id=response.json()["id"])
    assert (row.status, row.attempts) == (EmailStatus.SENT, 1)

    verified = api_client.get(urlsplit(link).path)

    assert verified.status_code == 200
    assert verified.json() == {"message": "Email verified successfully"}
    user = User.objects.get(pk=response.json()["id"])
    assert (user.email_verified, user.role) == (True, Role.AUTHENTICATED)
