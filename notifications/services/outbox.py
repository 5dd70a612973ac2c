"""Queueing outbox rows for the worker, best-effort, and the sweep that queues what was missed.

The row is the source of truth: a broker that is down is logged, never raised, and
leaves the row PENDING with no `queued_at` for the sweep."""

import logging
from datetime import timedelta

from django.utils import timezone
from kombu.exceptions import KombuError

from ..models import EmailStatus, FanOut, FanOutStatus, OutgoingEmail

# The name these records always had (operators may alert on it), from before services/ was a package.
logger = logging.getLogger("notifications.services")

BATCH_SIZE = 500  # rows per INSERT, and email ids per queued task
SWEEP_AGE = timedelta(minutes=1)  # a PENDING row this old without a queued task is swept
REQUEUE_AGE = timedelta(minutes=15)  # a queued PENDING row this old is queued again

# What publishing a task raises when the broker is unreachable (kombu wraps most
# transport errors in OperationalError; socket errors can escape it).
BROKER_ERRORS = (KombuError, OSError)


def tasks_run_in_process() -> bool:
    """No broker: Celery runs each task inline when it is queued (the embedded default)."""
    from ..tasks import deliver_email  # tasks imports services: imported here, not at the top

    return bool(deliver_email.app.conf.task_always_eager)


def enqueue_emails(email_ids: list) -> bool:
    """Hand emails to the worker in batches; a broker that is down is logged, never raised.

    The rows stay PENDING with no `queued_at`, so the sweep queues them again
    once the broker is back. Returns whether every batch was queued.
    """
    from ..tasks import deliver_email, deliver_emails  # tasks imports services: imported here

    ids = [str(pk) for pk in email_ids]
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        try:
            if len(batch) == 1:
                deliver_email.delay(batch[0])
            else:
                deliver_emails.delay(batch)
        except BROKER_ERRORS as exc:
            unqueued = ids[start:]
            OutgoingEmail.objects.filter(pk__in=unqueued, status=EmailStatus.PENDING).update(queued_at=None)
            logger.warning(
                "email not queued: broker unavailable; the sweep will queue it again",
                extra={"emails": len(unqueued), "error": type(exc).__name__},
            )
            return False
    return True


def enqueue_fanout(fanout_id) -> bool:
    """Hand a deferred fan-out to the worker; a broker that is down is logged, never raised
    (the FanOut row stays PENDING with no `queued_at` for the sweep)."""
    from ..tasks import expand_fanout  # tasks imports services: imported here

    try:
        expand_fanout.delay(str(fanout_id))
    except BROKER_ERRORS as exc:
        FanOut.objects.filter(pk=fanout_id, status=FanOutStatus.PENDING).update(queued_at=None)
        logger.warning(
            "fan-out not queued: broker unavailable; the sweep will queue it again",
            extra={"fanout_id": str(fanout_id), "error": type(exc).__name__},
        )
        return False
    return True


def fanout_requeue(fanouts) -> int:
    """Queue again every PENDING fan-out in the `fanouts` queryset; return how many were queued."""
    ids = list(fanouts.filter(status=FanOutStatus.PENDING).values_list("pk", flat=True))
    FanOut.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    return sum(enqueue_fanout(pk) for pk in ids)


def email_requeue(emails) -> int:
    """Queue delivery again for every email in the `emails` queryset not yet sent; return how many were queued."""
    ids = list(emails.filter(status__in=[EmailStatus.PENDING, EmailStatus.FAILED]).values_list("pk", flat=True))
    if not ids:
        return 0
    OutgoingEmail.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    return len(ids) if enqueue_emails(ids) else 0


def email_requeue_unsent(*, older_than: timedelta = timedelta(0)) -> int:
    """Queue every PENDING or FAILED email (and PENDING fan-out) created before `older_than` ago;
    return how many emails."""
    before = timezone.now() - older_than
    fanout_requeue(FanOut.objects.filter(created_at__lte=before))
    return email_requeue(OutgoingEmail.objects.filter(created_at__lte=before))


def email_sweep() -> int:
    """The periodic sweep: PENDING emails older than a minute that no task holds (the broker
    was down when they were created, or their task was queued long ago and lost)."""
    now = timezone.now()
    stale = {"created_at__lte": now - SWEEP_AGE}
    fanout_requeue(FanOut.objects.filter(**stale).exclude(queued_at__gt=now - REQUEUE_AGE))
    emails = OutgoingEmail.objects.filter(status=EmailStatus.PENDING, **stale)
    return email_requeue(emails.exclude(queued_at__gt=now - REQUEUE_AGE))
