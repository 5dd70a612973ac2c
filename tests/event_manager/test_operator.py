"""The operator's page in the admin (/admin/operator/), through the test client as staff."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from core import throttling
from event_manager.operator import _schedule
from events.models import EventStatus
from notifications import heartbeat
from notifications.models import EmailStatus, OutgoingEmail
from notifications.registry import beat_schedule
from tests.events.conftest import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OPERATOR = reverse("admin-operator")


def outgoing(status, *, minutes_ago=0, n=1):
    user = UserFactory()
    rows = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(user=user, to_address=user.email, kind="users.password_changed", status=status) for _ in range(n)
    )
    OutgoingEmail.objects.filter(pk__in=[row.pk for row in rows]).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return rows


def fill(size):
    """`size` of everything the page counts."""
    for _ in range(size):
        outgoing(EmailStatus.PENDING, minutes_ago=90)
        outgoing(EmailStatus.FAILED)
        outgoing(EmailStatus.SENT)
        EventFactory(status=EventStatus.PENDING, submitted_at=timezone.now())
        locked = UserFactory(locked=True)
        audit_record(actor=None, action="user.locked_by_failed_logins", target=locked)
    for name in beat_schedule():
        heartbeat.job_finished(name, succeeded=True)
    heartbeat.beat()
    throttling.count_refusal()


def test_the_admin_home_links_to_it(admin_site_client):
    page = admin_site_client.get(reverse("admin:index"))
    assert page.status_code == 200
    assert f'href="{OPERATOR}"' in page.content.decode()


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_staff_see_it(request, who):
    client = request.getfixturevalue(f"{who}_site_client")
    page = client.get(OPERATOR)
    assert page.status_code == 200
    assert page.context["title"] == "Operations"


def test_members_and_strangers_are_sent_to_the_login(client):
    assert client.get(OPERATOR).status_code == 302
    client.force_login(UserFactory())
    response = client.get(OPERATOR)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_every_dependency_is_reported(admin_site_client):
    health = {check.name: check.state for check in admin_site_client.get(OPERATOR).context["health"]}
    assert health == {"database": "ok", "cache": "ok", "broker": "not configured", "worker": "no heartbeat"}

    heartbeat.beat()
    health = {check.name: check for check in admin_site_client.get(OPERATOR).context["health"]}
    assert health["worker"].state == "ok"
    assert health["worker"].detail.startswith("last heartbeat")


def test_a_silent_worker_is_late(admin_site_client, settings):
    settings.WORKER_HEARTBEAT_INTERVAL = 10
    heartbeat.cache.set(heartbeat.KEY, timezone.now().timestamp() - 31, timeout=None)
    health = {check.name: check for check in admin_site_client.get(OPERATOR).context["health"]}
    assert health["worker"].state == "late"
    assert not health["worker"].ok


def test_the_outbox_counts_and_its_oldest_unsent_email(admin_site_client, settings):
    settings.NOTIFICATIONS_LATE_MINUTES = 30
    outgoing(EmailStatus.PENDING, minutes_ago=5, n=2)
    outgoing(EmailStatus.PENDING, minutes_ago=90)
    outgoing(EmailStatus.SENDING, minutes_ago=1)
    outgoing(EmailStatus.FAILED, n=3)
    outgoing(EmailStatus.SENT, minutes_ago=200, n=4)

    page = admin_site_client.get(OPERATOR)

    box = page.context["outbox"]
    assert [(status, count) for _, status, count in box["states"]] == [("PENDING", 3), ("SENDING", 1), ("FAILED", 3)]
    assert box["oldest_unsent_age"] == "1 h 30 min ago"
    assert box["attention"].waiting == 1
    assert box["attention"].failed == 3
    assert "(1 h 30 min ago)" in page.content.decode()


def test_every_periodic_job_with_its_last_run(admin_site_client):
    names = sorted(beat_schedule())
    assert names, "the apps contribute periodic jobs"
    first, *others = names
    heartbeat.job_finished(first, succeeded=True, at=timezone.now().timestamp() - 120)
    heartbeat.job_finished(first, succeeded=False)

    jobs = {job["name"]: job for job in admin_site_client.get(OPERATOR).context["jobs"]}

    assert sorted(jobs) == names
    assert jobs[first]["succeeded"] is False
    assert jobs[first]["ago"] == "less than a minute ago"
    assert (jobs[first]["finished_at"] - jobs[first]["last_success_at"]).total_seconds() == pytest.approx(120, abs=5)
    for name in others:
        assert (jobs[name]["ago"], jobs[name]["succeeded"], jobs[name]["last_success_at"]) == ("never", None, None)


def test_a_periodic_task_run_by_celery_is_recorded(admin_site_client):
    from event_manager.celery import app

    name = sorted(beat_schedule())[0]
    task_name = beat_schedule()[name]["task"]
    importlib.import_module(task_name.rpartition(".")[0])
    task = app.tasks[task_name]
    app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **beat_schedule()}
    task.apply(kwargs=beat_schedule()[name]["kwargs"])

    jobs = {job["name"]: job for job in admin_site_client.get(OPERATOR).context["jobs"]}
    assert jobs[name]["succeeded"] is True
    assert jobs[name]["last_success_at"] is not None


def test_lockouts_and_throttle_refusals_today(admin_site_client):
    yesterday = UserFactory(locked=True)
    row = audit_record(actor=None, action="user.locked_by_failed_logins", target=yesterday)
    type(row).objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=1, hours=1))
    for _ in range(2):
        audit_record(actor=None, action="user.locked_by_failed_logins", target=UserFactory(locked=True))
    audit_record(actor=None, action="user.locked", target=UserFactory(locked=True))
    for _ in range(3):
        throttling.count_refusal()

    security = admin_site_client.get(OPERATOR).context["security"]

    assert security["lockouts"] == [("by failed logins", 2), ("by staff", 1)]
    assert security["locked_now"] == 4
    assert security["throttle_refusals"] == 3


def test_a_refused_login_is_counted(client, settings):
    settings.AUTH_THROTTLE_RATE = "1/hour"
    for _ in range(3):
        client.post("/login/", {"username": "nobody@example.com", "password": "wrong"})
    assert throttling.refusals_today() == 2


def test_events_waiting_for_review_oldest_first(admin_site_client):
    now = timezone.now()
    newer = EventFactory(status=EventStatus.PENDING, submitted_at=now - timedelta(hours=1))
    older = EventFactory(status=EventStatus.PENDING, submitted_at=now - timedelta(days=2))
    EventFactory(status=EventStatus.APPROVED)

    page = admin_site_client.get(OPERATOR)

    review = page.context["review"]
    assert review["count"] == 2
    assert [event.pk for event, _ in review["oldest"]] == [older.pk, newer.pk]
    assert [waited for _, waited in review["oldest"]] == ["2 d ago", "1 h ago"]
    assert reverse("admin:events_event_change", args=[older.pk]) in page.content.decode()


def queries_of(client, url):
    client.get(url)  # anything a first visit writes (the session's refresh) is done
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries]


@pytest.mark.parametrize("size", [0, 1, 12])
def test_a_fixed_number_of_queries_whatever_the_tables_hold(admin_site_client, size):
    fill(size)
    # What every admin page costs (the session, the user, the sign-in's checks): the admin's
    # JavaScript catalogue reads nothing else.
    base = len(queries_of(admin_site_client, reverse("admin:jsi18n")))

    queries = queries_of(admin_site_client, OPERATOR)

    # SELECT 1 (the database probe), the outbox by state, its three counts (waiting, retrying,
    # failed), lockouts today, accounts locked now, the pending events' count and the oldest of them.
    assert len(queries) - base == 9, queries


@pytest.mark.parametrize(
    ("schedule", "said"),
    [(60.0, "every 1 min"), (900.0, "every 15 min"), (7200, "every 2 h"), (30.0, "every 30 s"), (90.0, "every 90 s")],
)
def test_schedules_read_as_words(schedule, said):
    assert _schedule({"schedule": schedule}) == said
    assert _schedule({"schedule": timedelta(seconds=schedule)}) == said
