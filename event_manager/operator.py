"""The operator's page in the admin (`/admin/operator/`, staff only): is everything running?

The health of each dependency (the probes /health makes), the outbox (counts by state, the
oldest unsent email), the last run of every periodic job and the worker's heartbeat, lockouts
and throttle refusals today, and the events waiting for review. Every part is a fixed number
of queries, whatever the size of the tables (tests/event_manager/test_operator.py counts them).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import admin
from django.db.models import Count, Min
from django.template.response import TemplateResponse
from django.utils import timezone

from audit.models import AuditEvent
from core.throttling import refusals_today
from events.models import Event, EventStatus
from notifications import heartbeat
from notifications.models import EmailStatus, OutgoingEmail
from notifications.registry import beat_schedule
from notifications.selectors import outbox_attention
from users.models import User

from .views import OK, dependency_states

LOCKOUT_ACTIONS = {"user.locked_by_failed_logins": "by failed logins", "user.locked": "by staff"}
REVIEW_ROWS = 5


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state in (OK, "not configured")


def _since(moment: datetime | float | None, now: datetime) -> str:
    """`3 min ago`, `2 h 5 min ago`, `never`."""
    if moment is None:
        return "never"
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=timezone.get_current_timezone())
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 1:
        return "less than a minute ago"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(part for part in parts if part) + " ago"


def _when(moment: datetime | float | None) -> datetime | None:
    if moment is None or isinstance(moment, datetime):
        return moment
    return datetime.fromtimestamp(moment, tz=timezone.get_current_timezone())


def _schedule(entry: dict) -> str:
    """`every 15 min`, `every 30 s`, `every 2 h`; a crontab as Celery writes it."""
    every = entry["schedule"]
    if isinstance(every, timedelta):
        every = every.total_seconds()
    if isinstance(every, int | float):
        for unit, seconds in (("h", 3600), ("min", 60)):
            if every >= seconds and every % seconds == 0:
                return f"every {int(every // seconds)} {unit}"
        return f"every {every:g} s"
    return str(every).removeprefix("<crontab: ").removesuffix(">")


def health(now: datetime) -> list[Check]:
    states = dependency_states()
    checks = [Check(name, state) for name, state in states.items()]
    silence = heartbeat.silence() if states["cache"] == OK else None
    if silence is None:
        worker = Check("worker", "no heartbeat", "no worker has written one since the cache was emptied")
    elif heartbeat.is_late(silence):
        worker = Check("worker", "late", f"last heartbeat {silence:.0f} s ago")
    else:
        worker = Check("worker", OK, f"last heartbeat {silence:.0f} s ago")
    return [*checks, worker]


def outbox(now: datetime) -> dict:
    """Emails by unsent state with the oldest of each (one GROUP BY on the status index), and
    what the admin home's banner counts."""
    rows = (
        OutgoingEmail.objects.filter(status__in=[EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.FAILED])
        .order_by()
        .values("status")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    )
    by_status = {row["status"]: row for row in rows}
    unsent = [by_status[s] for s in (EmailStatus.PENDING, EmailStatus.SENDING) if s in by_status]
    oldest = min((row["oldest"] for row in unsent), default=None)
    return {
        "states": [
            (EmailStatus(status).label, status, by_status.get(status, {}).get("count", 0))
            for status in (EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.FAILED)
        ],
        "oldest_unsent": oldest,
        "oldest_unsent_age": _since(oldest, now) if oldest else "",
        "attention": outbox_attention(now=now),
    }


def periodic_jobs(now: datetime) -> list[dict]:
    schedule = beat_schedule()
    runs = heartbeat.job_runs(sorted(schedule))
    return [
        {
            "name": run.name,
            "task": schedule[run.name]["task"],
            "schedule": _schedule(schedule[run.name]),
            "finished_at": _when(run.finished_at),
            "ago": _since(run.finished_at, now),
            "succeeded": run.succeeded,
            "last_success_at": _when(run.last_success_at),
        }
        for run in runs
    ]


def security_today(midnight: datetime) -> dict:
    counted = dict(
        AuditEvent.objects.filter(created_at__gte=midnight, action__in=LOCKOUT_ACTIONS)
        .order_by()
        .values_list("action")
        .annotate(count=Count("pk"))
    )
    return {
        "lockouts": [(how, counted.get(action, 0)) for action, how in LOCKOUT_ACTIONS.items()],
        "locked_now": User.objects.filter(is_locked=True).count(),
        "throttle_refusals": refusals_today(),
    }


def review_queue(now: datetime) -> dict:
    pending = Event.objects.filter(status=EventStatus.PENDING)
    oldest = list(
        pending.order_by("submitted_at", "starts_at").only("pk", "title", "starts_at", "submitted_at")[:REVIEW_ROWS]
    )
    return {"count": pending.count(), "oldest": [(event, _since(event.submitted_at, now)) for event in oldest]}


def operator_view(request):
    """Staff only (wrapped in `admin.site.admin_view` by the URLconf)."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    context = {
        **admin.site.each_context(request),
        "title": "Operations",
        "now": now,
        "midnight": midnight,
        "health": health(now),
        "outbox": outbox(now),
        "jobs": periodic_jobs(now),
        "security": security_today(midnight),
        "review": review_queue(now),
    }
    return TemplateResponse(request, "admin/operator.html", context)
