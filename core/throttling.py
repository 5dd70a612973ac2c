"""Throttling of unauthenticated writes, and what it does when its cache is down.

Fault policy: when the cache (Redis, or the database cache table) raises, the
throttle fails OPEN — the request is served unthrottled and one warning is
logged — and skips the cache for THROTTLE_CACHE_RETRY_SECONDS before trying
again, so an outage costs each request at most one short socket timeout every
few seconds, and throttling resumes by itself within that delay once the cache
answers. Accounts stay protected meanwhile by the lockout rule, which lives in
the database.
"""

import logging
import math
import threading
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle

from .context import client_ip
from .metrics import THROTTLE_REFUSALS

# The name operators alert on ("Throttle cache unavailable"): kept from users/, where this lived.
logger = logging.getLogger("users.throttling")

# What a cache backend raises when its store does not answer.
CACHE_ERRORS = (redis.RedisError, DatabaseError, OSError)


class CacheOutage:
    """Per-process memory of a cache outage: when it started and when to try again."""

    def __init__(self):
        self._lock = threading.Lock()
        self.retry_at = 0.0
        self.down = False

    def skip(self) -> bool:
        """True while the last failure is recent: do not touch the cache."""
        return self.down and time.monotonic() < self.retry_at

    def failed(self, exc: Exception) -> None:
        delay = settings.THROTTLE_CACHE_RETRY_SECONDS
        with self._lock:
            first = not self.down
            self.down, self.retry_at = True, time.monotonic() + delay
        if first:
            logger.warning(
                "Throttle cache unavailable (%s: %s): serving requests unthrottled, retrying every %ss",
                type(exc).__name__,
                exc,
                delay,
            )

    def recovered(self) -> None:
        if self.down:
            with self._lock:
                self.down = False
            logger.warning("Throttle cache is back: throttling resumed")


outage = CacheOutage()


REFUSALS_KEY = "throttle:refusals:{}"  # one counter per day (TIME_ZONE), for the admin's operator page
REFUSALS_KEPT = 2 * 24 * 3600
REFUSALS_FLUSH_SECONDS = 60.0


class RefusalTally:
    """Today's refusals, counted in the process and added to the shared cache at most once a
    minute: a refused request stays as cheap as the throttle makes it (two cache reads),
    which matters most when a flood is being refused. A cache error loses a count, never
    an answer."""

    def __init__(self):
        self._lock = threading.Lock()
        self._day, self._count, self._since = None, 0, None

    def add(self) -> None:
        day, now = timezone.localdate().isoformat(), time.monotonic()
        with self._lock:
            stale = self._take() if self._day not in (None, day) else None
            self._day, self._count = day, self._count + 1
            self._since = self._since or now
        self._write(stale)
        self.flush_if_due()

    def flush_if_due(self) -> None:
        with self._lock:
            due = self._since is not None and time.monotonic() - self._since >= REFUSALS_FLUSH_SECONDS
            pending = self._take() if due else None
        self._write(pending)

    def flush(self) -> None:
        with self._lock:
            pending = self._take()
        self._write(pending)

    def _take(self):
        pending = (self._day, self._count) if self._count else None
        self._count, self._since = 0, None
        return pending

    @staticmethod
    def _write(pending) -> None:
        if not pending:
            return
        day, count = pending
        key = REFUSALS_KEY.format(day)
        try:
            if not cache.add(key, count, REFUSALS_KEPT):
                cache.incr(key, count)
        except (*CACHE_ERRORS, ValueError):
            pass


refusal_tally = RefusalTally()


def count_refusal() -> None:
    """Add one to today's refusals (reaches the shared count within a minute)."""
    refusal_tally.add()


def refusals_today() -> int:
    """Requests refused by a throttle since midnight (TIME_ZONE), on every process sharing
    the cache: this process's at once, the others' within REFUSALS_FLUSH_SECONDS."""
    refusal_tally.flush()
    return int(cache.get(REFUSALS_KEY.format(timezone.localdate().isoformat()), 0))


class AuthRateThrottle(SimpleRateThrottle):
    """Per client address, on login, registration, verification and other
    unauthenticated writes: at most N requests (AUTH_THROTTLE_RATE, read at
    request time) in a window that opens with the client's first request.

    Exact under concurrency, across every worker and instance sharing the cache:
    each allowed request takes one of N numbered slots with the cache's atomic
    `add` (Redis SET NX, an INSERT on the database cache's primary key), so two
    requests can never take the same slot; DRF's read-modify-write history let
    concurrent requests through. Fails open while the cache is down (see the
    module docstring)."""

    scope = "auth"

    def get_rate(self):
        rate = settings.AUTH_THROTTLE_RATE
        return None if not rate or str(rate).lower() == "none" else rate

    def get_ident(self, request):
        """The client address by the project's one rule (`core.context.client_ip`)."""
        return client_ip(request) or request.META.get("REMOTE_ADDR", "")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if self.rate is None or outage.skip():
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            allowed = self._take_slot()
        except CACHE_ERRORS as exc:
            outage.failed(exc)
            return True
        outage.recovered()
        if allowed:
            refusal_tally.flush_if_due()
        else:
            THROTTLE_REFUSALS.labels(self.scope).inc()
            count_refusal()
        return allowed

    def _take_slot(self) -> bool:
        self.now = self.timer()
        start = self.cache.get(f"{self.key}:start")
        if start is None or start + self.duration <= self.now:
            start = self.now if self.cache.add(f"{self.key}:start", self.now, self.duration) else None
            start = start or self.cache.get(f"{self.key}:start") or self.now
        self.window_end = start + self.duration
        timeout = max(1, math.ceil(self.window_end - self.now))
        window = f"{self.key}:{int(start * 1000)}"
        # Slots below the hint are taken (it is written only after its slot was).
        first_free = self.cache.get(f"{window}:taken", 0)
        for slot in range(first_free, self.num_requests):
            if self.cache.add(f"{window}:{slot}", 1, timeout):
                self.cache.set(f"{window}:taken", slot + 1, timeout)
                return True
        return False

    def wait(self):
        return max(self.window_end - self.now, 0.001)


def auth_wait(request) -> int:
    """For views outside DRF (the admin's and the member pages' forms): take one of this
    client address's AUTH_THROTTLE_RATE slots, the same budget the API's sign-in spends.
    Seconds to wait when none is left, else 0."""
    throttle = AuthRateThrottle()
    if throttle.allow_request(request, None):
        return 0
    return max(1, math.ceil(throttle.wait()))


class ThrottleUnauthenticatedWritesMixin:
    """For views that need a token: a write that fails authentication counts
    against AuthRateThrottle, so guessing tokens costs the same budget as
    guessing passwords. Authenticated requests are never counted."""

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (NotAuthenticated, AuthenticationFailed):
            if request.method not in SAFE_METHODS:
                throttle = AuthRateThrottle()
                if not throttle.allow_request(request, self):
                    self.throttled(request, throttle.wait())
            raise
