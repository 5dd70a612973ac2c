"""Metrics on real processes: gunicorn with two workers and a prefork Celery worker with
two pool processes, each in multiprocess mode. A known sequence of requests (and tasks)
goes through both; the scraped counters add up to it exactly: requests and throttle
refusals, then a member's whole story (registrations, a refused email, logins ok and
wrong, a lockout, a seat, the waiting list, a promotion and a cancellation's fan-out)."""

import json
import secrets
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from .conftest import migrated_database
from .support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    HOST,
    MAX_LOGIN_ATTEMPTS,
    PASSWORD,
    ROOT,
    Mailbox,
    Process,
    app_env,
    free_port,
    last_line,
    login,
    new_email,
    path_of,
    shell,
    start_server,
    token_for,
    verification_link,
    wait_worker_ready,
)

pytestmark = pytest.mark.integration

TOKEN = f"metrics-{secrets.token_hex(16)}"
WORKERS = 2  # tests/integration/support.py starts gunicorn with two workers


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped, name, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def pids(directory: Path, prefix: str) -> set[str]:
    return {file.stem.rsplit("_", 1)[1] for file in directory.glob(f"{prefix}_*.db")}


@pytest.fixture(scope="module")
def metered(services, database_url, redis_databases, log_dir, tmp_path_factory):
    """A WSGI instance (two workers) with metrics on, throttling logins at 3 a minute in
    a Redis database of its own (no other test's logins spend that budget)."""
    directory = tmp_path_factory.mktemp("prometheus-web")
    cache = redis_databases.claim()
    env = app_env(
        DATABASE_URL=database_url,
        REDIS_URL=cache,
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        AUTH_THROTTLE_RATE="3/min",
    )
    server = start_server("wsgi", env, log_dir, label="-metrics")
    try:
        server.wait_healthy()
        yield server, directory
    finally:
        server.process.stop()
        redis_databases.release(cache)


def scrape(server) -> dict:
    response = server.request("GET", "/metrics", token=TOKEN)
    assert response.status == 200, response
    return samples(response.body.decode())


def settled(server, pause: float = 0.5, timeout: float = 15) -> dict:
    """A scrape once the start-up polls are all answered: a /health poll that gave up waiting
    (wait_healthy's 2 s) may still be counted later, so scrape until the /health count holds."""
    deadline, last = time.monotonic() + timeout, scrape(server)
    while True:
        time.sleep(pause)
        now = scrape(server)
        health = "event_manager_http_requests_total", frozenset({"route": "/health", "method": "GET", "status": "200"})
        if now.get(health) == last.get(health) or time.monotonic() > deadline:
            return now
        last = now


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_closed_without_the_token(metered, token):
    server, _ = metered
    response = server.request("GET", "/metrics", token=token)
    assert response.status == 401
    assert b"event_manager_" not in response.body


def test_counters_add_up_across_workers(metered):
    server, directory = metered
    before = settled(server)
    sequence = (
        [("GET", "/health", None)] * 30
        + [("GET", f"/users/{uuid.uuid4()}", None)] * 20
        + [("GET", f"/no-such-page/{n}", None) for n in range(10)]
        + [("POST", "/login/", {"username": "nobody@example.com", "password": "Wrong!pass1"})] * 5
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda step: server.request(step[0], step[1], form=step[2]).status, sequence))
    assert Counter(statuses)[429] == 2
    after = scrape(server)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "event_manager_http_requests_total"
    assert delta(requests, route="/health", method="GET", status="200") == 30
    assert delta(requests, route="/users/{pk}", method="GET", status="401") == 20
    assert delta(requests, route="unmatched", method="GET", status="404") == 10
    assert delta(requests, route="/login", method="POST", status="429") == 2
    assert sum(delta(requests, route="/login", method="POST", status=s) for s in ("400", "401", "403")) == 3
    assert delta("event_manager_throttle_refusals_total", scope="auth") == 2
    for route, count in (("/health", 30), ("/users/{pk}", 20), ("unmatched", 10)):
        assert delta("event_manager_http_request_duration_seconds_count", route=route, method="GET") == count
        assert delta("event_manager_http_request_db_queries_count", route=route) == count
    assert delta("event_manager_http_request_db_queries_sum", route="/health") >= 30
    assert not any("no-such-page" in str(labels) for _, labels in after)
    assert len(pids(directory, "counter")) == WORKERS, "both workers should have served (and been summed)"


# --- A member's story, counted ----------------------------------------------------------

REFUSED = "refused."  # the SMTP server below refuses every recipient whose address starts so


class RefusingMailbox(Mailbox):
    """A mailbox whose server answers 550 to any recipient starting with REFUSED."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith(REFUSED):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def delivered(self) -> int:
        """Messages accepted so far."""
        with self._changed:
            return len(self._received)


EVENT_SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from events import services
from users.models import Role, User

admin = User.objects.get(email={admin!r})
manager = User.objects.create_user(email="metrics.manager@example.com", password=None, role=Role.MANAGER,
                                   email_verified=True, nickname="metrics_manager")
starts = timezone.now() + timedelta(days=3)
event = services.event_create(actor=manager, title="One seat", description="Talk.", kind="GUEST_LECTURE",
                              location="Hall 1", starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=1)
services.event_submit(actor=manager, event_id=event.pk)
services.event_approve(actor=admin, event_id=event.pk)
print(json.dumps({{"event": str(event.pk)}}))
"""


@pytest.fixture(scope="module")
def storied(services, redis_databases, log_dir, tmp_path_factory):
    """A WSGI instance (two workers, metrics in multiprocess files) on a database of its
    own, with no broker (emails go out in the web worker that queued them, after commit)
    to an SMTP server that refuses the REFUSED addresses, no throttle, and an approved
    event with one seat."""
    mailbox = RefusingMailbox()
    smtp = Controller(mailbox, hostname=HOST, port=free_port())
    smtp.start()
    directory = tmp_path_factory.mktemp("prometheus-story")
    cache = redis_databases.claim()
    try:
        with migrated_database() as url:
            env = app_env(DATABASE_URL=url, REDIS_URL=cache, EMAIL_URL=f"smtp://{HOST}:{smtp.port}")
            event = json.loads(last_line(shell(env, EVENT_SETUP.format(admin=ADMIN_EMAIL))))["event"]
            server = start_server(
                "wsgi",
                {**env, "METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(directory)},
                log_dir,
                label="-story",
            )
            try:
                server.wait_healthy()
                yield server, directory, mailbox, event
            finally:
                server.process.stop()
    finally:
        smtp.stop()
        redis_databases.release(cache)


def requests_by_pid(directory: Path) -> dict[str, float]:
    """HTTP requests each worker counted, read from its own multiprocess file."""
    served = {}
    for file in directory.glob("counter_*.db"):
        served[file.stem.rsplit("_", 1)[1]] = sum(
            value
            for key, value, *_ in MmapedDict.read_all_values_from_file(str(file))
            if json.loads(key)[1] == "event_manager_http_requests_total"
        )
    return served


def test_a_members_story_adds_up_across_workers(storied):
    """Registrations (one refused by the SMTP server), verifications, logins ok, wrong and
    unverified, a lockout by MAX_LOGIN_ATTEMPTS wrong passwords and the refusals after it,
    a seat, the waiting list, a promotion and the event's cancellation: each counted once."""
    server, directory, mailbox, event = storied
    before = settled(server)
    delivered_before = mailbox.delivered()

    seat, waiter, locked = (new_email(f"story.{name}") for name in ("seat", "waiter", "locked"))
    refused = new_email(REFUSED.rstrip(".") + ".story")

    def call(method, path, expected, **kwargs):
        response = server.request(method, path, **kwargs)
        assert response.status == expected, (method, path, response)
        return response

    for address in (seat, waiter, locked, refused):
        call("POST", "/register/", 201, json_body={"email": address, "password": PASSWORD})
    for address in (seat, waiter, locked):
        call("GET", path_of(verification_link(mailbox.wait_for(address))), 200)
    assert not mailbox.messages_to(refused)

    # Logins: 2 + 4 concurrent ok, 1 unknown address, 1 unverified, then the lockout:
    # MAX_LOGIN_ATTEMPTS - 1 wrong passwords, the one that locks, and 2 refused while locked.
    tokens = {address: token_for(server, address) for address in (seat, waiter)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert [r.status for r in pool.map(lambda _: login(server, seat), range(4))] == [200] * 4
    assert login(server, "nobody.story@example.com").status == 401
    assert login(server, refused).status == 401  # its email was never verified (said as a wrong password)
    wrong = [login(server, locked, "Wrong!pass1").status for _ in range(MAX_LOGIN_ATTEMPTS)]
    assert wrong == [401] * MAX_LOGIN_ATTEMPTS
    assert [login(server, locked, password).status for password in ("Wrong!pass1", PASSWORD)] == [400, 400]
    assert len(mailbox.messages_to(locked)) == 2  # the verification, and the lockout notice (sent in the request)

    # One seat: the first member takes it, the second waits, and is promoted when the first cancels.
    registrations = f"/events/{event}/registrations/"
    assert call("POST", registrations, 201, token=tokens[seat]).json()["status"] == "CONFIRMED"
    assert call("POST", registrations, 201, token=tokens[waiter]).json()["status"] == "WAITLISTED"
    call("DELETE", f"/events/{event}/registrations/me/", 204, token=tokens[seat])
    admin = token_for(server, ADMIN_EMAIL, ADMIN_PASSWORD)
    call("POST", f"/events/{event}/cancel/", 200, json_body={"reason": "Ill."}, token=admin)

    # And a burst both workers take their share of (not /health: a start-up poll that gave up
    # waiting may still be answered after the first scrape).
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(lambda _: server.get(f"/users/{uuid.uuid4()}").status, range(40))) == {401}

    after = scrape(server)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    logins = "event_manager_logins_total"
    assert delta(logins, outcome="ok") == 2 + 4 + 1  # the members, the concurrent four, the admin
    assert delta(logins, outcome="failed") == 1 + 1 + (MAX_LOGIN_ATTEMPTS - 1)
    assert delta(logins, outcome="locked") == 1 + 2  # the attempt that locked, the two refused after
    assert delta(logins, outcome="otp_required") == 0
    requests = "event_manager_http_requests_total"
    assert delta(requests, route="/login", method="POST", status="200") == 2 + 4 + 1
    assert delta(requests, route="/login", method="POST", status="401") == 1 + 1 + MAX_LOGIN_ATTEMPTS
    assert delta(requests, route="/login", method="POST", status="400") == 2  # "Account locked ..."
    assert delta(requests, route="/register", method="POST", status="201") == 4
    assert delta(requests, route="/verify-email/{user_id}/{token}", method="GET", status="200") == 3
    assert delta(requests, route="/events/{pk}/registrations", method="POST", status="201") == 2
    assert delta(requests, route="/events/{pk}/registrations/me", method="DELETE", status="204") == 1
    assert delta(requests, route="/events/{pk}/cancel", method="POST", status="200") == 1
    assert delta(requests, route="/users/{pk}", method="GET", status="401") == 40

    registered = "event_manager_registrations_total"
    assert delta(registered, status="confirmed") == 1
    assert delta(registered, status="waitlisted") == 1
    assert delta("event_manager_waitlist_promotions_total") == 1
    # The cancellation told the one member still registered (the promoted one): one fan-out of one.
    fanout = "event_manager_notification_fanout_recipients"
    assert delta(f"{fanout}_count", kind="events.cancelled") == 1
    assert delta(f"{fanout}_sum", kind="events.cancelled") == 1
    assert delta(f"{fanout}_bucket", kind="events.cancelled", le="1.0") == 1

    # The refused verification email is FAILED (for good: a 5xx); every other one went out.
    assert delta("event_manager_outbox_emails", status="failed") == 1
    assert value(after, "event_manager_outbox_emails", status="failed") == 1
    assert value(after, "event_manager_outbox_emails", status="pending") == 0
    assert value(after, "event_manager_outbox_oldest_pending_age_seconds") == 0
    # Without a broker each email's task ran in the web worker that queued it, and was counted there:
    # one run per email the SMTP server took, and one for the refused email (its failure is on its row).
    delivered = mailbox.delivered() - delivered_before
    tasks = "event_manager_tasks_total"
    assert delta(tasks, task="notifications.tasks.deliver_email", state="success") == delivered + 1
    assert delta(tasks, task="notifications.tasks.deliver_email", state="failure") == 0

    served = requests_by_pid(directory)
    assert len(served) == WORKERS and all(served.values()), f"both workers should have served: {served}"
    scraped = sum(v for (name, _), v in after.items() if name == requests)
    assert sum(served.values()) == scraped + 1  # the files have the last scrape too: it was counted after it answered


# --- The worker -------------------------------------------------------------------------


def send(env, task: str, args: list, kwargs: dict | None = None) -> None:
    command = [sys.executable, "-m", "celery", "-A", "event_manager", "call", task, "--args", json.dumps(args)]
    command += ["--kwargs", json.dumps(kwargs or {})]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)


def test_worker_counts_tasks_across_its_pool(services, database_url, redis_databases, log_dir, tmp_path):
    port, broker = free_port(), redis_databases.claim()
    env = app_env(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker,
        WORKER_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    args = [sys.executable, "-m", "celery", "-A", "event_manager", "worker", "-l", "info", "--pool", "prefork"]
    args += ["--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = Process(
        "celery-worker-metrics", [*args, "-n", f"metrics-{secrets.token_hex(3)}@%h"], env, log_dir / "w.log"
    )
    try:
        wait_worker_ready(worker)
        # celery.accumulate is Celery's own: it returns its arguments, or args[index].
        for n in range(6):
            send(env, "celery.accumulate", [n])
        for _ in range(2):
            send(env, "celery.accumulate", [], {"index": 3})
        deadline, scraped = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            scraped = samples(_get(f"http://127.0.0.1:{port}/metrics"))
            done = sum(
                value(scraped, "event_manager_tasks_total", task="celery.accumulate", state=s)
                for s in ("success", "failure")
            )
            if done >= 8:
                break
            time.sleep(0.2)
        assert value(scraped, "event_manager_tasks_total", task="celery.accumulate", state="success") == 6
        assert value(scraped, "event_manager_tasks_total", task="celery.accumulate", state="failure") == 2
        assert value(scraped, "event_manager_task_duration_seconds_count", task="celery.accumulate") == 8
    finally:
        worker.stop()
        redis_databases.release(broker)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()
