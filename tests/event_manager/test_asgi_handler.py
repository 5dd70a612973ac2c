"""The project's ASGI handler (event_manager.asgi), driven as a server drives it: a token
read is one hop to the database thread, and the start-of-request signal (which checks
the database connection) still runs once per request, on that thread, before the view's
database work."""

import asyncio
import os
import threading

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.db import connections

from event_manager.asgi import ASGIHandler
from tests.factories import UserFactory
from users.authentication import access_token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def _serve(path, headers=()):
    """One GET through the handler: (status, headers, body)."""
    sent = []
    requested = False

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays until the handler is done

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    await ASGIHandler()(scope, receive, send)
    start, body = sent[0], b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], dict(start["headers"]), body


def serve(path, headers=()):
    return async_to_sync(_serve)(path, headers)


@pytest.fixture
def seen(monkeypatch):
    """("started" | "query" | "finished", thread id): the request signals and the statements
    sent, in order."""
    events = []

    def started(**kwargs):
        events.append(("started", threading.get_ident()))

    def finished(**kwargs):
        events.append(("finished", threading.get_ident()))

    wrapper_class = type(connections["default"])
    original = wrapper_class.cursor

    def cursor(self, *args, **kwargs):
        events.append(("query", threading.get_ident()))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(wrapper_class, "cursor", cursor)
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield events
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def _bearer(user):
    return [(b"authorization", f"Bearer {access_token_for(user)}".encode())]


def test_a_token_read_is_one_hop_and_checks_the_connection_before_its_query(hops, seen):
    admin, target = UserFactory(admin=True), UserFactory()
    seen.clear()

    status, headers, body = serve(f"/users/{target.pk}", _bearer(admin))

    assert status == 200, body
    assert str(target.pk).encode() in body
    assert headers[b"X-Content-Type-Options"] == b"nosniff"
    assert len(hops) == 1, hops  # authentication; the target came in the same query
    assert [name for name, _thread in seen] == ["started", "query", "finished"]
    # The start signal's receivers (close_old_connections) ran on the thread that then queried.
    assert seen[0][1] == seen[1][1]


@pytest.mark.parametrize(
    ("path", "with_token"),
    [
        ("/users/{target}", False),  # no token: not a token request, Django's way
        ("/users/does-not-exist", True),  # refused before any database work
        ("/health", True),  # a token request whose view makes no `call`
        ("/app/login/", True),  # a page: never a token request
    ],
)
def test_every_request_sends_each_signal_once_and_starts_before_its_queries(seen, path, with_token):
    admin, target = UserFactory(admin=True), UserFactory()
    seen.clear()

    status, _headers, _body = serve(path.format(target=target.pk), _bearer(admin) if with_token else ())

    assert status in (200, 401, 404, 503)
    names = [name for name, _thread in seen]
    assert names.count("started") == names.count("finished") == 1
    assert names[-1] == "finished"
    if "query" in names:
        assert names.index("started") < names.index("query")


def test_the_application_loads_as_a_server_loads_it():
    """A server imports event_manager.asgi before Django is set up."""
    import subprocess
    import sys

    from django.conf import settings

    code = "import event_manager.asgi as m; print(type(m.application).__name__)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "event_manager.settings", "SECRET_KEY": "x" * 50}
    done = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "ASGIHandler", done.stderr
