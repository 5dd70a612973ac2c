"""Project-level views: health check and JSON error pages outside DRF views."""

import asyncio
import socket
from urllib.parse import urlsplit

import redis
from adrf.views import APIView
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from notifications import heartbeat
from notifications.selectors import outbox_attention

OK, UNAVAILABLE, NOT_CONFIGURED = "ok", "unavailable", "not configured"
HEALTH_CHECK_TIMEOUT = 1.0  # seconds, for each of the cache and broker probes
AMQP_PORT, REDIS_PORT = 5672, 6379

_DEPENDENCY = serializers.ChoiceField(choices=[OK, UNAVAILABLE, NOT_CONFIGURED])
_HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(
            choices=["ok", "degraded", "unavailable"],
            help_text="ok: everything answers; degraded: the database answers, the cache or the broker "
            "does not (the service still works, see the README's fault policy); unavailable: no database.",
        ),
        "database": _DEPENDENCY,
        "cache": _DEPENDENCY,
        "broker": _DEPENDENCY,
        "detail": serializers.CharField(required=False),
    },
)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return UNAVAILABLE
    return OK


def _cache() -> str:
    try:
        cache.get("health:probe")
    except (redis.RedisError, DatabaseError, OSError):
        return UNAVAILABLE
    return OK


def _broker() -> str:
    """A bounded probe of CELERY_BROKER_URL: PING for Redis, a TCP connect otherwise."""
    url = settings.CELERY_BROKER_URL
    if not url or url.startswith("memory://"):
        return NOT_CONFIGURED
    try:
        parts = urlsplit(url)
        if parts.scheme in ("redis", "rediss"):
            client = redis.Redis.from_url(
                url, socket_timeout=HEALTH_CHECK_TIMEOUT, socket_connect_timeout=HEALTH_CHECK_TIMEOUT
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            port = parts.port or (REDIS_PORT if parts.scheme.startswith("redis") else AMQP_PORT)
            socket.create_connection((parts.hostname or "localhost", port), timeout=HEALTH_CHECK_TIMEOUT).close()
    except (redis.RedisError, OSError, ValueError):
        return UNAVAILABLE
    return OK


def dependency_states() -> dict[str, str]:
    """The probes of /health one after the other, for a synchronous caller (the admin's operator page)."""
    return {"database": _database(), "cache": _cache(), "broker": _broker()}


def _outbox_problems() -> list[str]:
    """Emails not sent NOTIFICATIONS_LATE_MINUTES after they were written, and failed ones the
    sweep is retrying, in words (none: an empty list)."""
    try:
        outbox = outbox_attention()
    except DatabaseError:
        return ["Outbox: not readable."]
    problems = []
    if outbox.waiting:
        problems.append(f"Outbox: {outbox.waiting} email(s) not sent after {outbox.late_minutes} minutes.")
    if outbox.retrying:
        problems.append(f"Outbox: {outbox.retrying} email(s) failed, to be retried.")
    return problems


def _worker_silence() -> float | None:
    """Seconds since a worker's last heartbeat; None when none is recorded or the cache fails."""
    try:
        return heartbeat.silence()
    except (redis.RedisError, DatabaseError, OSError, TypeError, ValueError):
        return None


class HealthView(APIView):
    """Each dependency's state; 503 only without the database, which the service cannot
    work without. The cache and the broker degrade (README: fault policy), and so do
    emails left waiting or failing, or a worker whose heartbeat stopped: `detail` says which."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=["Health"],
        summary="Health check",
        description="`database`, `cache` and `broker` each report `ok`, `unavailable` or `not configured` "
        "(no `CELERY_BROKER_URL`: tasks run in-process). Answers 503 only when the database does not answer; "
        "a cache or broker outage answers 200 with `status: degraded`. Every probe is bounded (1 s).",
        responses={
            200: OpenApiResponse(
                _HEALTH,
                description="The database answers.",
                examples=[
                    OpenApiExample(
                        "Up", {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}, status_codes=["200"]
                    ),
                    OpenApiExample(
                        "Embedded defaults (no broker)",
                        {"status": "ok", "database": "ok", "cache": "ok", "broker": "not configured"},
                        status_codes=["200"],
                    ),
                    OpenApiExample(
                        "Redis down",
                        {"status": "degraded", "database": "ok", "cache": "unavailable", "broker": "unavailable"},
                        status_codes=["200"],
                    ),
                ],
            ),
            503: OpenApiResponse(
                _HEALTH,
                description="The database does not answer.",
                examples=[
                    OpenApiExample(
                        "Database down",
                        {
                            "status": "unavailable",
                            "database": "unavailable",
                            "cache": "ok",
                            "broker": "ok",
                            "detail": "Database unavailable.",
                        },
                        status_codes=["503"],
                    )
                ],
            ),
        },
    )
    async def get(self, request):
        cache_in_database = settings.CACHES["default"]["BACKEND"].endswith(".db.DatabaseCache")
        database, cache_state, broker = await asyncio.gather(
            sync_to_async(_database)(),
            # Socket probes run off the main sync thread; database work stays on it.
            sync_to_async(_cache, thread_sensitive=cache_in_database)(),
            sync_to_async(_broker, thread_sensitive=False)(),
        )
        body = {"status": OK, "database": database, "cache": cache_state, "broker": broker}
        if database != OK:
            body.update(status=UNAVAILABLE, detail="Database unavailable.")
            return Response(body, status=503)
        problems = await sync_to_async(_outbox_problems)()
        if broker == OK and cache_state == OK:  # else the outage explains a silent worker
            silence = await sync_to_async(_worker_silence, thread_sensitive=cache_in_database)()
            if heartbeat.is_late(silence):
                problems.append(f"Worker: last heartbeat {silence:.0f} s ago.")
        if UNAVAILABLE in (cache_state, broker) or problems:
            body["status"] = "degraded"
        if problems:
            body["detail"] = " ".join(problems)
        return Response(body)


def _wants_html(request):
    return request.path.startswith("/admin/")


def not_found(request, exception=None):
    if _wants_html(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"detail": "Not found."}, status=404)


def bad_request(request, exception=None):
    if _wants_html(request):
        return defaults.bad_request(request, exception)
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    if _wants_html(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)


def server_error(request):
    if _wants_html(request):
        return defaults.server_error(request)
    return JsonResponse({"detail": "Internal server error."}, status=500)
