"""Retention: what the service stops keeping, deleted in small batches by a periodic job.

Each rule deletes at most RETENTION_BATCH_SIZE rows per statement, each batch in its own
short transaction, so no batch holds its locks for long and the web requests interleave.
core holds the rules for Django's and simplejwt's tables (expired sessions, expired refresh
tokens and their blacklist entries, expired rows of the database cache: throttle counters);
apps add their own in `ready()` with `register` (notifications: read in-app notifications,
sent emails). `purge` runs them all (Celery beat every RETENTION_INTERVAL seconds:
core.tasks.purge_expired; or `manage.py purge_expired`).

The audit trail (audit.AuditLog) is never deleted by any rule: it is the record of who did
what, kept for as long as the database is.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """`purge(now, batch_size) -> rows deleted`, named for the operator's log and the admin."""

    name: str
    purge: Callable[[datetime, int], int]


_rules: dict[str, Rule] = {}


def register(name: str, purge: Callable[[datetime, int], int]) -> Rule:
    rule = Rule(name, purge)
    _rules[name] = rule
    return rule


def rules() -> list[Rule]:
    return list(_rules.values())


def delete_in_batches(queryset, batch_size: int) -> int:
    """Delete every row of `queryset`, `batch_size` primary keys at a time, one transaction per batch."""
    model, total = queryset.model, 0
    while True:
        pks = list(queryset.order_by().values_list("pk", flat=True)[:batch_size])
        if not pks:
            return total
        with transaction.atomic():
            model._base_manager.filter(pk__in=pks).delete()
        total += len(pks)


def purge(*, now: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Run every rule; return {rule name: rows deleted}, logging each rule's count and time."""
    now = now or timezone.now()
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    deleted = {}
    for rule in rules():
        started = time.perf_counter()
        deleted[rule.name] = rule.purge(now, batch_size)
        logger.info(
            "retention",
            extra={
                "rule": rule.name,
                "deleted": deleted[rule.name],
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
    return deleted


# --- Django's and simplejwt's tables ---------------------------------------------------


def expired_sessions(now, batch_size) -> int:
    """What `manage.py clearsessions` deletes, in batches."""
    from django.contrib.sessions.models import Session

    return delete_in_batches(Session.objects.filter(expire_date__lt=now), batch_size)


def expired_tokens(now, batch_size) -> int:
    """What simplejwt's `flushexpiredtokens` deletes (expired outstanding refresh tokens, their
    blacklist rows with them), in batches: an expired token is refused whether listed or not."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    return delete_in_batches(OutstandingToken.objects.filter(expires_at__lt=now), batch_size)


def expired_cache_rows(now, batch_size) -> int:
    """Expired rows of the database cache (throttle counters, when REDIS_URL is unset); Redis expires its own."""
    location = settings.CACHES["default"].get("LOCATION")
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.db.DatabaseCache":
        return 0
    table = connection.ops.quote_name(location)
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE cache_key IN "  # noqa: S608 - the table name is a setting, quoted
                f"(SELECT cache_key FROM {table} WHERE expires < %s LIMIT %s)",
                [connection.ops.adapt_datetimefield_value(now), batch_size],
            )
            total += cursor.rowcount
            if cursor.rowcount < batch_size:
                return total


def register_core_rules() -> None:
    register("sessions", expired_sessions)
    register("refresh_tokens", expired_tokens)
    register("cache_rows", expired_cache_rows)
