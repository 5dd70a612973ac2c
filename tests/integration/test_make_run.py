"""`make run` on real processes, with no broker (issue 17, "Done when"): the Procfile's web
server (runserver), Celery worker and beat, on the embedded queue (CELERY_BROKER_URL=filesystem://),
on SQLite and on PostgreSQL.

300 members are created by 8 concurrent clients (no 5xx; on PostgreSQL the connections stay
bounded), an event with 300 registrants is cancelled and every one of them gets one email
within 60 s; a reminder and a digest go out on their own, on a schedule shortened by settings
(the reminder job every 2 s, digests looked for every 2 s and due from 00:00)."""

import json
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from .support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    HOST,
    PASSWORD,
    ROOT,
    Mailbox,
    Process,
    Server,
    app_env,
    free_port,
    last_line,
    shell,
    smtp_server,
    token_for,
    wait_until,
)

pytestmark = pytest.mark.integration

MEMBERS = 300
CLIENTS = 8
FAN_OUT_DEADLINE = 60
SCHEDULE_DEADLINE = 30
# runserver's threads (one per concurrent request), the worker, beat, and a margin for the
# autoreloader's checks; without CONN_MAX_AGE=0 each request thread kept one until refused.
MAX_CONNECTIONS = CLIENTS + 6


class SubjectMailbox(Mailbox):
    def count(self, prefix: str) -> Counter:
        """How many messages whose subject starts with `prefix` each recipient received."""
        with self._changed:
            return Counter(
                rcpt
                for rcpts, message in self._received
                if str(message["Subject"]).startswith(prefix)
                for rcpt in rcpts
            )


def shell_json(env, code: str) -> dict:
    """Run `code` in `manage.py shell`; it prints one JSON line last, returned."""
    return json.loads(last_line(shell(env, code)))


@pytest.fixture(scope="module")
def mailbox():
    with smtp_server(SubjectMailbox()) as mailbox:
        yield mailbox


@pytest.fixture
def make_run(either_database, mailbox, tmp_path):
    """The Procfile `make run` starts, under honcho, on the embedded queue."""
    kind, url = either_database
    port = free_port()
    env = app_env(
        DATABASE_URL=url,
        CELERY_BROKER_URL="filesystem://localhost/",
        CELERY_FILESYSTEM_DIR=str(tmp_path / "queue"),
        CELERY_BEAT_SCHEDULE=str(tmp_path / "celerybeat-schedule"),
        EMAIL_URL=f"smtp://{HOST}:{mailbox.port}",
        SERVER_BASE_URL=f"http://{HOST}:{port}",
        HOST=HOST,
        VENV_BIN=str(Path(sys.executable).parent),
        EVENTS_REMINDER_INTERVAL="2",
        NOTIFICATIONS_DIGEST_INTERVAL="2",
        NOTIFICATIONS_DIGEST_TIME="00:00",
    )
    honcho = [str(Path(sys.executable).parent / "honcho"), "-f", "Procfile", "start", "-p", str(port)]
    process = Process(f"make-run-{kind}", honcho, env, tmp_path / "make-run.log")
    server = Server("runserver", port, process)
    try:
        server.wait_healthy()
        yield kind, url, env, server
    finally:
        process.stop()


def test_the_makefile_runs_the_procfile():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^run: install.*?\n\n", makefile, re.MULTILINE | re.DOTALL).group(0)
    assert "$(HONCHO) -f Procfile start" in recipe
    assert re.search(r"^HONCHO \?= \$\(BIN\)/honcho$", makefile, re.MULTILINE)
    assert "run: export CELERY_BROKER_URL ?= filesystem://" in makefile


def _connections(url: str) -> int:
    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()[0]


def _create_members(server, token, addresses):
    def create(address):
        return server.request("POST", "/users/", json_body={"email": address, "password": PASSWORD}, token=token)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [response.status for response in pool.map(create, addresses)]


SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from events import services
from notifications.models import NotificationPreference
from users.models import Role, User

addresses = {addresses!r}
User.objects.filter(email__in=addresses).update(email_verified=True, role=Role.AUTHENTICATED)
admin = User.objects.get(email={admin!r})
manager = User.objects.create_user(email="it.manager@example.com", password={password!r}, role=Role.MANAGER,
                                   email_verified=True, nickname="it_manager")

def approved(days, capacity):
    starts = timezone.now() + timedelta(days=days)
    event = services.event_create(actor=manager, title=f"Meetup in {{days}} days", description="Talks.",
                                  kind="GUEST_LECTURE", location="Hall 1", starts_at=starts,
                                  ends_at=starts + timedelta(hours=2), capacity=capacity)
    services.event_submit(actor=manager, event_id=event.pk)
    return services.event_approve(actor=admin, event_id=event.pk)

big, soon, later = approved(10, {members}), approved(0.25, 10), approved(5, 10)
for member in User.objects.filter(email__in=addresses):
    services.registration_create(actor=member, event_id=big.pk)
first, second = sorted(addresses)[:2]
services.registration_create(actor=User.objects.get(email=first), event_id=soon.pk)
digest_member = User.objects.get(email=second)
NotificationPreference.objects.create(user=digest_member, kind="events.registration_confirmed", digest="daily")
services.registration_create(actor=digest_member, event_id=later.pk)
print(json.dumps({{"big": str(big.pk), "reminded": first, "digested": second}}))
"""


UNSENT = """
import json
from notifications.models import OutgoingEmail
print(json.dumps({"unsent": OutgoingEmail.objects.filter(status__in=["PENDING", "SENDING", "FAILED"]).count()}))
"""


def test_make_run_delivers_a_cancellation_to_300_and_runs_the_schedule(make_run, mailbox):
    kind, url, env, server = make_run
    token = token_for(server, ADMIN_EMAIL, ADMIN_PASSWORD)
    addresses = [f"run.{kind}.{index}@example.com" for index in range(MEMBERS)]

    peak, loading = [0], threading.Event()

    def sample():
        while not loading.is_set():
            peak[0] = max(peak[0], _connections(url))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True) if kind == "postgresql" else None
    started = time.monotonic()
    if sampler:
        sampler.start()
    statuses = _create_members(server, token, addresses)
    loading.set()
    created_in = time.monotonic() - started
    if sampler:
        sampler.join()

    made = shell_json(env, SETUP.format(addresses=addresses, admin=ADMIN_EMAIL, password=PASSWORD, members=MEMBERS))
    # The 600 emails so far (verifications, confirmations) go out first: the cancellation is timed alone.
    drained = wait_until(lambda: shell_json(env, UNSENT)["unsent"] == 0, 120, step=1)
    drained_in = time.monotonic() - started - created_in
    response = server.request("POST", f"/events/{made['big']}/cancel/", json_body={"reason": "Ill."}, token=token)
    cancelled = time.monotonic()
    assert response.status == 200, response

    subject = "Cancelled: "
    everyone = wait_until(lambda: len(mailbox.count(subject)) >= MEMBERS, FAN_OUT_DEADLINE)
    took = time.monotonic() - cancelled
    reminded = wait_until(lambda: mailbox.count("Tomorrow: ")[made["reminded"]], SCHEDULE_DEADLINE)
    digested = wait_until(lambda: mailbox.count("Your Event Manager digest")[made["digested"]], SCHEDULE_DEADLINE)
    time.sleep(3)  # a few more beats of the 2-second schedule: nothing comes twice

    told = mailbox.count(subject)
    print(
        f"\n{kind}: {MEMBERS} members by {CLIENTS} clients in {created_in:.1f} s"
        + (f", at most {peak[0]} connections" if sampler else "")
        + f"; the {2 * MEMBERS + 2} emails before it sent {drained_in:.1f} s later"
        + f"; {len(told)} told of the cancellation {took:.1f} s after it"
    )
    assert drained, "the emails before the cancellation were not all sent within 120 s"
    assert Counter(statuses) == {201: MEMBERS}, Counter(statuses)
    if sampler:
        assert peak[0] <= MAX_CONNECTIONS, peak[0]
    assert everyone, f"{MEMBERS - len(told)} of {MEMBERS} untold after {FAN_OUT_DEADLINE} s"
    assert set(told) == set(addresses) and set(told.values()) == {1}, told.most_common(3)
    assert reminded == 1 and mailbox.count("Tomorrow: ")[made["reminded"]] == 1
    assert digested == 1 and mailbox.count("Your Event Manager digest")[made["digested"]] == 1
    assert "Traceback" not in server.process.log(), server.process.tail()
