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
import threading
import time

import redis
from django.conf import settings
from django.db import DatabaseError
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

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


class AuthRateThrottle(SimpleRateThrottle):
    """Per client address, on login, registration, verification and other
    unauthenticated writes. The rate (AUTH_THROTTLE_RATE) is read at request
    time; counts live in the shared cache (Redis, or the database cache table),
    so every worker and instance counts together. Fails open while the cache is
    down (see the module docstring)."""

    scope = "auth"

    def get_rate(self):
        rate = settings.AUTH_THROTTLE_RATE
        return None if not rate or str(rate).lower() == "none" else rate

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if self.rate is None or outage.skip():
            return True
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            outage.failed(exc)
            return True
        outage.recovered()
        return allowed


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
