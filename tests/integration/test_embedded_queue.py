"""The embedded queue `make run` uses (CELERY_BROKER_URL=filesystem://, core.queue) under a
killed worker (issue 17 item 1: "nothing is sent twice when a worker is killed in the middle
of a fan-out and started again"), on real processes, on SQLite and on PostgreSQL.

An event with 300 registrants is cancelled; the worker (as the Procfile starts it: solo pool,
no broker) is killed with SIGKILL once 50 of the emails arrived, and a new one is started 20 s
later (the operator notices). The killed worker's unacknowledged task stays claimed in the
queue's `claimed/` folder; the new worker takes it back, and beat's sweep sends the emails the
killed delivery held once their lease ran out (EMAIL_CLAIM_SECONDS 30 as in production; the
sweep every SWEEP seconds instead of 60, so that the time does not depend on where the kill
falls in beat's cycle: with 60 it may add up to 40 s). Everyone is emailed within 90 s of the
new worker; the README's fault policy allows one duplicate (the message on the wire at the kill)."""

import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections import Counter

import pytest

from core.queue import CLAIMED, OWNER_SEPARATOR

from .support import (
    ADMIN_EMAIL,
    HOST,
    Mailbox,
    Process,
    app_env,
    last_line,
    shell,
    smtp_server,
    start_worker,
    wait_until,
)

pytestmark = pytest.mark.integration

REGISTRANTS = 300
KILL_AFTER = 50
OPERATOR_DELAY = 20
DEADLINE = 90
SWEEP = 20
SUBJECT = "Cancelled: "


class PacedMailbox(Mailbox):
    """Takes `delay` seconds per message: 300 emails take the worker several seconds, time to kill it."""

    delay = 0.02

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def told(self) -> Counter:
        with self._changed:
            return Counter(
                rcpt
                for rcpts, message in self._received
                if str(message["Subject"]).startswith(SUBJECT)
                for rcpt in rcpts
            )


@pytest.fixture
def mailbox():
    with smtp_server(PacedMailbox()) as mailbox:
        yield mailbox


@pytest.fixture
def embedded(either_database, mailbox, tmp_path):
    """The environment the Procfile's worker and beat get from `make run`, and beat running."""
    kind, url = either_database
    queue = tmp_path / "queue"
    env = app_env(
        DATABASE_URL=url,
        CELERY_BROKER_URL="filesystem://localhost/",
        CELERY_FILESYSTEM_DIR=str(queue),
        EMAIL_URL=f"smtp://{HOST}:{mailbox.port}",
        NOTIFICATIONS_SWEEP_INTERVAL=str(SWEEP),
    )
    beat_args = [sys.executable, "-m", "celery", "-A", "event_manager", "beat", "-l", "info"]
    beat_args += ["-s", str(tmp_path / "celerybeat-schedule")]
    started = [Process(f"beat-{kind}", beat_args, env, tmp_path / "beat.log")]

    def worker(label: str) -> Process:
        log_dir = tmp_path / label
        log_dir.mkdir()
        process = start_worker(env, log_dir)
        process.name = f"worker-{label}-{kind}"
        started.append(process)
        process.wait_for_log(r"\S+@\S+ ready\.", 30)
        return process

    try:
        yield kind, env, queue / "queue" / CLAIMED, worker
    finally:
        for process in started:
            process.stop()


SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from events.models import Event, Registration
from users.models import Role, User

admin = User.objects.get(email={admin!r})
members = User.objects.bulk_create([
    User(email=f"q{{index}}@example.com", nickname=f"q{{index}}", role=Role.AUTHENTICATED, email_verified=True,
         password="!")
    for index in range({count})
])
starts = timezone.now() + timedelta(days=3)
event = Event.objects.create(title="Killed worker meetup", slug="killed-worker-meetup", kind="OTHER",
                             location="Hall 1", starts_at=starts, ends_at=starts + timedelta(hours=1),
                             capacity={count}, status="APPROVED", created_by=admin, seats_taken={count},
                             published_at=timezone.now())
Registration.objects.bulk_create([Registration(event=event, user=user, status="CONFIRMED") for user in members])
print(json.dumps({{"event": str(event.pk), "admin": str(admin.pk)}}))
"""

CANCEL = """
from events import services
from users.models import User
services.event_cancel(actor=User.objects.get(email={admin!r}), event_id={event!r}, reason="The speaker is ill.")
"""


def test_a_worker_killed_mid_fan_out_on_the_embedded_queue_leaves_no_one_untold(embedded, mailbox):
    kind, env, claimed, worker = embedded
    made = json.loads(last_line(shell(env, SETUP.format(admin=ADMIN_EMAIL, count=REGISTRANTS))))
    first = worker("first")
    shell(env, CANCEL.format(admin=ADMIN_EMAIL, event=made["event"]))  # 300 > 200: a FanOut the worker expands

    assert wait_until(lambda: sum(mailbox.told().values()) >= KILL_AFTER, 60), first.describe()
    os.killpg(first.popen.pid, signal.SIGKILL)
    first.popen.wait(10)
    killed = time.monotonic()
    told_at_kill = len(mailbox.told())
    left_claimed = sorted(os.listdir(claimed))
    task_ids = [json.loads((claimed / name).read_text())["headers"]["id"] for name in left_claimed]

    time.sleep(max(0.0, OPERATOR_DELAY - (time.monotonic() - killed)))
    second = worker("second")
    restarted = time.monotonic()
    taken_back = wait_until(lambda: not os.listdir(claimed), 10)
    everyone = wait_until(lambda: len(mailbox.told()) >= REGISTRANTS, DEADLINE, step=0.5)
    took = time.monotonic() - restarted
    time.sleep(3)  # nothing more comes

    told = mailbox.told()
    duplicates = sum(count - 1 for count in told.values())
    print(
        f"\n{kind}: {told_at_kill} of {REGISTRANTS} told at the kill, {len(left_claimed)} task(s) left claimed; "
        f"{len(told)} told {took:.0f} s after a new worker started; {duplicates} duplicate(s)"
    )
    owner = f"{socket.gethostname()}.{first.popen.pid}{OWNER_SEPARATOR}"
    assert left_claimed and all(name.startswith(owner) for name in left_claimed), left_claimed
    assert taken_back, f"the new worker left {os.listdir(claimed)} claimed"
    for task_id in task_ids:  # the killed worker's task, run again by the new one
        assert f"[{task_id}] received" in second.log(), second.tail()
    assert everyone, f"{REGISTRANTS - len(told)} of {REGISTRANTS} untold {DEADLINE} s after a new worker"
    assert duplicates <= 1, told.most_common(3)
    assert "Traceback" not in second.log(), second.tail()
