"""The Celery application.

With no CELERY_BROKER_URL the settings make every task run eagerly in-process,
so the service needs no broker to run; with one, `celery -A event_manager worker`
runs them.

Every task run is counted (task, final state) and timed; a periodic job's success
sets its "last success" time (core.metrics), and each run of one is remembered in the cache
for the admin's operator page (notifications.heartbeat). With WORKER_METRICS_PORT set, the worker
serves those metrics on that port (WORKER_METRICS_ADDR) for Prometheus (deploy/prometheus.yml).
"""

import os
import time

from celery import Celery, signals
from kombu.transport import TRANSPORT_ALIASES

# `filesystem://`, the embedded queue of `make run`, is core.queue's transport (atomic writes and claims).
TRANSPORT_ALIASES["filesystem"] = "core.queue:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "event_manager.settings")

app = Celery("event_manager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _contributed_beat_schedule(sender, **kwargs):
    """Celery beat runs the periodic jobs apps contribute in their ready() (notifications.registry.periodic):
    the outbox sweep every minute, the daily digest, and whatever events/ adds."""
    from notifications.registry import beat_schedule

    sender.conf.beat_schedule = {**beat_schedule(), **(sender.conf.beat_schedule or {})}


# --- Metrics ------------------------------------------------------------------------

_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id, **kwargs):
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id, task, state=None, **kwargs):
    from core import metrics
    from notifications import heartbeat

    started = _started.pop(task_id, None)
    if started is not None:
        metrics.TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    metrics.TASKS.labels(task.name, (state or "unknown").lower()).inc()
    for job, entry in (app.conf.beat_schedule or {}).items():
        if entry.get("task") == task.name:
            if state == "SUCCESS":
                metrics.PERIODIC_LAST_SUCCESS.labels(job).set_to_current_time()
            if state in ("SUCCESS", "FAILURE"):
                heartbeat.job_finished(job, succeeded=state == "SUCCESS")  # for the admin's operator page


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs):
    """In the worker's main process, before its pool starts: forget what an earlier run
    left in the multiprocess directory, and serve /metrics on WORKER_METRICS_PORT."""
    from django.conf import settings

    from core import metrics

    if settings.PROMETHEUS_MULTIPROC_DIR:
        metrics.clear_multiprocess_dir(settings.PROMETHEUS_MULTIPROC_DIR, keep_pid=os.getpid())
    if settings.WORKER_METRICS_PORT:
        metrics.start_http_server(settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDR)


@signals.worker_process_shutdown.connect
def _forget_pool_process(pid=None, **kwargs):
    from core import metrics

    metrics.mark_process_dead(pid or os.getpid())
