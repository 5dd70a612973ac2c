"""Broker down (issue 8): gunicorn pointed at a closed Redis port answers 201 to a registration,
the outbox row stays PENDING, and once a broker answers, Celery beat's sweep and the worker
deliver it. Real processes throughout: gunicorn (WSGI and ASGI), celery beat, the stack's worker."""

import sys
import time

import pytest

from .support import (
    DELIVERY_TIMEOUT,
    HOST,
    PASSWORD,
    Process,
    free_port,
    manage,
    new_email,
    path_of,
    start_server,
    verification_link,
)

pytestmark = pytest.mark.integration


def outbox_row(app_db, address):
    return app_db.execute(
        "SELECT status, queued_at, attempts FROM notifications_outgoingemail WHERE to_address = %s", [address]
    ).fetchall()


def wait_for_status(app_db, address, status):
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    rows = outbox_row(app_db, address)
    while rows and rows[0][0] != status and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = outbox_row(app_db, address)
    return rows


@pytest.fixture
def broker_down_servers(stack, log_dir):
    """A WSGI and an ASGI instance whose CELERY_BROKER_URL is a port nothing listens on."""
    env = {**stack.env, "CELERY_BROKER_URL": f"redis://{HOST}:{free_port()}/0"}
    servers = [start_server(kind, env, log_dir, label="-broker-down") for kind in ("wsgi", "asgi")]
    try:
        for server in servers:
            server.wait_healthy()
        yield servers
    finally:
        for server in servers:
            server.process.stop()


@pytest.fixture
def beat(stack, log_dir):
    """Celery beat on the stack's (working) broker, sweeping every second."""

    def start():
        env = {**stack.env, "NOTIFICATIONS_SWEEP_INTERVAL": "1"}
        args = [sys.executable, "-m", "celery", "-A", "event_manager", "beat", "-l", "info"]
        args += ["-s", str(log_dir / "celerybeat-schedule")]
        process = Process("celery-beat", args, env, log_dir / "celery-beat.log")
        started.append(process)
        return process

    started = []
    yield start
    for process in started:
        process.stop()


def test_registration_succeeds_with_the_broker_down_and_the_sweep_delivers_later(
    stack, broker_down_servers, beat, app_db
):
    addresses = []
    for server in broker_down_servers:
        address = new_email(f"broker-down-{server.name}")
        response = server.request("POST", "/register/", json_body={"email": address, "password": PASSWORD})

        assert response.status == 201, response
        assert response.json()["email"] == address
        [(status, queued_at, attempts)] = outbox_row(app_db, address)
        assert (status, queued_at, attempts) == ("PENDING", None, 0)
        assert "email not queued: broker unavailable" in server.process.log()
        addresses.append(address)

    # A retry by the client is told the truth: the account exists.
    again = broker_down_servers[0].request(
        "POST", "/register/", json_body={"email": addresses[0], "password": PASSWORD}
    )
    assert again.status == 400

    # The broker is back (the stack's): beat's sweep queues what is older than a minute.
    app_db.execute(
        "UPDATE notifications_outgoingemail SET created_at = created_at - interval '2 minutes' "
        "WHERE to_address = ANY(%s)",
        [addresses],
    )
    process = beat()
    process.wait_for_log(r"Sending due task notifications\.sweep", 30)

    for address in addresses:
        message = stack.mailbox.wait_for(address)
        [(status, _, attempts)] = wait_for_status(app_db, address, "SENT")
        assert (status, attempts) == ("SENT", 1)
        verified = stack.wsgi.get(path_of(verification_link(message)))
        assert verified.status == 200, verified
        assert len(stack.mailbox.messages_to(address)) == 1


def test_a_large_fan_out_is_written_and_mailed_by_the_worker(stack, app_db):
    """notify_many above NOTIFICATIONS_FANOUT_INLINE_MAX (1 here) in a real process: the caller
    commits one FanOut row; the stack's worker writes the rows and sends the emails."""
    addresses = [new_email("fan-out") for _ in range(3)]
    for address in addresses:
        response = stack.wsgi.request("POST", "/register/", json_body={"email": address, "password": PASSWORD})
        assert response.status == 201, response
    for address in addresses:
        stack.mailbox.wait_for(address)  # the verification email
    code = (
        "from django.contrib.auth import get_user_model; from django.db import transaction; "
        "from notifications.services import notify_many\n"
        "with transaction.atomic():\n"
        f"    notify_many(recipients=get_user_model().objects.filter(email__in={addresses!r}), "
        "kind='users.professional_granted', dedupe_key='it-fan-out')\n"
    )
    manage({**stack.env, "NOTIFICATIONS_FANOUT_INLINE_MAX": "1"}, "shell", "-c", code)

    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while time.monotonic() < deadline and not all(len(stack.mailbox.messages_to(a)) == 2 for a in addresses):
        time.sleep(0.1)
    for address in addresses:
        subjects = [message["Subject"] for message in stack.mailbox.messages_to(address)]
        assert "You now have professional status" in subjects, subjects
    [(status, recipients)] = app_db.execute(
        "SELECT status, recipients FROM notifications_fanout WHERE dedupe_key = 'it-fan-out'"
    ).fetchall()
    assert (status, recipients) == ("DONE", 3)
    [(count,)] = app_db.execute(
        "SELECT count(*) FROM notifications_notification WHERE kind = 'users.professional_granted' "
        "AND dedupe_key LIKE %s",
        ["%:it-fan-out"],
    ).fetchall()
    assert count == 3
