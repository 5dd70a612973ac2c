"""A Celery worker on the Redis broker delivers the verification email over SMTP, once."""

import time

import pytest

from .support import (
    DELIVERY_TIMEOUT,
    celery_call,
    new_email,
    path_of,
    register,
    token_for,
    verification_link,
)

pytestmark = pytest.mark.integration

DELIVER = "notifications.tasks.deliver_email"


def outgoing_emails(app_db, address):
    return app_db.execute(
        "SELECT id, status, attempts FROM notifications_outgoingemail WHERE to_address = %s", [address]
    ).fetchall()


def wait_until_sent(app_db, address):
    """The SMTP server has the message a moment before the worker commits SENT."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    rows = outgoing_emails(app_db, address)
    while rows and rows[0][1] != "SENT" and time.monotonic() < deadline:
        time.sleep(0.05)
        rows = outgoing_emails(app_db, address)
    return rows


def test_the_worker_sends_the_verification_email_and_its_link_verifies(stack, admin_token, app_db):
    address = new_email("worker")
    user = register(stack.wsgi, address)
    assert (user["role"], user["email_verified"]) == ("ANONYMOUS", False)

    message = stack.mailbox.wait_for(address)
    assert message["To"] == address
    assert message["Subject"] == "Verify your Event Manager email address"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = verification_link(message)
    assert link.startswith(f"{stack.base_url}/verify-email/{user['id']}/")
    assert link in text
    assert f'href="{link}"' in html

    # Sent by the worker: the web processes, with a broker configured, only queue.
    [(_, status, attempts)] = wait_until_sent(app_db, address)
    assert (status, attempts) == ("SENT", 1)
    assert "email sent" in stack.worker.log()
    assert "email sent" not in stack.wsgi.process.log()

    response = stack.wsgi.get(path_of(link))
    assert response.status == 200, response
    assert response.json() == {"message": "Email verified successfully"}
    assert stack.wsgi.get(path_of(link)).status == 400

    user = stack.asgi.get(f"/users/{user['id']}", token=admin_token).json()
    assert (user["role"], user["email_verified"]) == ("AUTHENTICATED", True)
    assert token_for(stack.asgi, address)


def test_delivering_the_same_email_again_sends_nothing(stack, app_db):
    address = new_email("redelivered")
    register(stack.asgi, address)
    stack.mailbox.wait_for(address)
    [(email_id, status, _)] = wait_until_sent(app_db, address)
    assert status == "SENT"

    task_id = celery_call(stack.env, DELIVER, str(email_id))
    stack.worker.wait_for_log(rf"{DELIVER}\[{task_id}\] succeeded in [\d.]+s: False", DELIVERY_TIMEOUT)

    assert len(stack.mailbox.messages_to(address)) == 1
    assert outgoing_emails(app_db, address) == [(email_id, "SENT", 1)]
