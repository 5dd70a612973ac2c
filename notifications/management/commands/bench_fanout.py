"""Measure a fan-out: `notify_many` to N existing users, as cancelling a big event does.

Times what the cancelling request pays: writing the in-app and outbox rows in
bulk, the commit, and queueing the emails after commit. Needs N users in the
database (`seed_users --count 10000`). The rows it writes are deleted at the
end; with `--broker` the tasks go to that broker (run no worker on it: the
queue is purged afterwards), without it tasks run in-process as in the
embedded default, where a fan-out above NOTIFICATIONS_EAGER_INLINE_MAX is left
to `send_pending_emails` (here: deleted).
"""

import statistics
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.models import FanOut, Notification, OutgoingEmail
from notifications.registry import Kind, register, unregister
from notifications.services import fanout_expand, notify_many
from notifications.tasks import deliver_email

BENCH_KIND = Kind(
    key="notifications.bench",
    label="Benchmark (never sent)",
    urgent=True,
    title="Cancelled: {{ title }}",
    body="This event was cancelled.",
    link="/events/{{ event_id }}",
)


class Command(BaseCommand):
    help = "Time notify_many to N users (rows in bulk + commit + batched queueing); prints the median of --runs."

    def add_arguments(self, parser):
        parser.add_argument("--recipients", type=int, default=5000)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--broker", default="", help="Publish to this broker (e.g. redis://127.0.0.1:6379/15).")
        parser.add_argument("--force", action="store_true", help="Run with DEBUG off (a benchmark database).")

    def handle(self, *args, recipients, runs, broker, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("bench_fanout writes and deletes rows: refused with DEBUG off. Use --force.")
        ids = list(get_user_model().objects.order_by("pk").values_list("pk", flat=True)[:recipients])
        if len(ids) < recipients:
            raise CommandError(f"Only {len(ids)} users; seed more first: manage.py seed_users --count {recipients}")
        register(BENCH_KIND)
        restore = self._use_broker(broker) if broker else None
        try:
            timings, worker, queries = [], [], 0
            for _ in range(runs):
                elapsed, queries = self._one_run(ids)
                timings.append(elapsed)
                worker += self._expand_deferred()
        finally:
            Notification.objects.filter(kind=BENCH_KIND.key).delete()
            OutgoingEmail.objects.filter(kind=BENCH_KIND.key).delete()
            FanOut.objects.filter(kind=BENCH_KIND.key).delete()
            if restore:
                restore()
            unregister(BENCH_KIND.key)
        mode = f"broker {broker}" if broker else "no broker (in-process tasks)"
        self.stdout.write(
            f"notify_many to {recipients} recipients, {mode}: median {statistics.median(timings) * 1000:.0f} ms "
            f"in the caller's transaction (runs: {', '.join(f'{t * 1000:.0f}' for t in timings)} ms; {queries} queries)"
        )
        if worker:
            self.stdout.write(
                f"deferred to the worker (FanOut): the rows took a median {statistics.median(worker) * 1000:.0f} "
                f"ms there (runs: {', '.join(f'{t * 1000:.0f}' for t in worker)} ms)"
            )

    def _one_run(self, ids):
        context = {"title": "Benchmark event", "event_id": str(uuid.uuid4())}
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            with transaction.atomic():
                notify_many(recipients=ids, kind=BENCH_KIND.key, context=context, dedupe_key=context["event_id"])
            elapsed = time.perf_counter() - started  # the on_commit queueing ran at the block's end
        return elapsed, len(captured)

    def _expand_deferred(self) -> list:
        """Time what the worker does with each deferred fan-out (the broker's message is purged later)."""
        timings = []
        for fanout_id in FanOut.objects.filter(kind=BENCH_KIND.key, status="PENDING").values_list("pk", flat=True):
            started = time.perf_counter()
            fanout_expand(fanout_id=fanout_id)
            timings.append(time.perf_counter() - started)
        return timings

    def _use_broker(self, url):
        app = deliver_email.app

        saved = {key: app.conf[key] for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")}
        app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=url)

        def restore():
            with app.connection_for_write() as conn:
                purged = app.control.purge(connection=conn)
            self.stdout.write(f"Purged {purged} queued task(s) from {url}.")
            app.conf.update(saved)

        return restore
