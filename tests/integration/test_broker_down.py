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
