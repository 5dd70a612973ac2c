"""The worker's heartbeat: the time, written to the cache by each worker process every
WORKER_HEARTBEAT_INTERVAL seconds, and read by /health.

The cache (Redis, or the database table) is the one the web processes read. No
heartbeat recorded says nothing (no worker has started since the cache was emptied:
late emails tell that story); one three intervals old says the workers stopped.
"""

import logging
import threading
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

KEY = "notifications:worker-heartbeat"
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
