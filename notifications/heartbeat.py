"""The worker's heartbeat: the time, written to the cache by each worker process every
WORKER_HEARTBEAT_INTERVAL seconds, and read by /health; and the last run of each periodic
job (its time and outcome, and the time of its last success), read by the admin's operator page.

The cache (Redis, or the database table) is the one the web processes read. No
heartbeat recorded says nothing (no worker has started since the cache was emptied:
late emails tell that story); one three intervals old says the workers stopped.
"""

import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

KEY = "notifications:worker-heartbeat"
JOB_RUN_KEY = "notifications:periodic:{}:run"
JOB_SUCCESS_KEY = "notifications:periodic:{}:success"
LATE_AFTER_BEATS = 3
_started = threading.Lock()


def beat() -> None:
    cache.set(KEY, time.time(), timeout=None)


def silence() -> float | None:
    """Seconds since the last heartbeat; None when none is recorded."""
    last = cache.get(KEY)
    return None if last is None else max(0.0, time.time() - float(last))


def is_late(seconds: float | None) -> bool:
    return seconds is not None and seconds > LATE_AFTER_BEATS * settings.WORKER_HEARTBEAT_INTERVAL


def start() -> None:
    """Beat now, then every WORKER_HEARTBEAT_INTERVAL seconds from a daemon thread (once per process)."""
    if not _started.acquire(blocking=False):
        return
    _beat_or_log()
    threading.Thread(target=_beat_forever, name="worker-heartbeat", daemon=True).start()


def _beat_forever() -> None:
    while True:
        time.sleep(settings.WORKER_HEARTBEAT_INTERVAL)
        _beat_or_log()
        connection.close()  # this thread's own connection, if the cache is the database table


def _beat_or_log() -> None:
    try:
        beat()
    except (redis.RedisError, DatabaseError, OSError) as exc:
        logger.warning("worker heartbeat not written", extra={"error": type(exc).__name__})


@dataclass(frozen=True)
class JobRun:
    """What the cache remembers of one periodic job (None: not since the cache was emptied)."""

    name: str
    finished_at: float | None = None
    succeeded: bool | None = None
    last_success_at: float | None = None


def job_finished(name: str, *, succeeded: bool, at: float | None = None) -> None:
    """Record a run of the periodic job `name` (Celery's task_postrun, event_manager/celery.py)."""
    at = time.time() if at is None else at
    values = {JOB_RUN_KEY.format(name): (at, succeeded)}
    if succeeded:
        values[JOB_SUCCESS_KEY.format(name)] = at
    try:
        cache.set_many(values, timeout=None)
    except (redis.RedisError, DatabaseError, OSError) as exc:
        logger.warning("periodic job run not recorded", extra={"job": name, "error": type(exc).__name__})


def job_runs(names) -> list[JobRun]:
    """The last run of each job in `names`, in that order (one cache read for all)."""
    names = list(names)
    keys = [key.format(name) for name in names for key in (JOB_RUN_KEY, JOB_SUCCESS_KEY)]
    found = cache.get_many(keys) if keys else {}
    runs = []
    for name in names:
        finished_at, succeeded = found.get(JOB_RUN_KEY.format(name)) or (None, None)
        runs.append(JobRun(name, finished_at, succeeded, found.get(JOB_SUCCESS_KEY.format(name))))
    return runs
