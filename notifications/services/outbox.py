"""Queueing outbox rows for the worker, best-effort, and the sweep that queues what no task holds.

The row is the source of truth. `queued_at` is written only once the broker has
accepted a task for the row, after the transaction that wrote it committed; a
broker that is down is logged, never raised, and leaves `queued_at` as it was, so
the sweep queues the row again."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from ..models import EmailStatus, FanOut, FanOutStatus, OutgoingEmail
from .delivery import DATABASE_ERRORS, claimable, smtp_answers

# The name these records always had (operators may alert on it), from before services/ was a package.
logger = logging.getLogger("notifications.services")

BATCH_SIZE = 500  # rows per INSERT, and email ids per queued task
SWEEP_AGE = timedelta(seconds=20)  # a PENDING email this old that no broker accepted is swept
REQUEUE_AGE = timedelta(minutes=15)  # a task the broker accepted this long ago, its email still unsent, is lost
FANOUT_REQUEUE_AGE = timedelta(minutes=2)  # a queued fan-out is written within seconds, unless its task was lost

# What publishing a task raises when the broker is unreachable (kombu wraps most
# transport errors in OperationalError; socket errors can escape it).
BROKER_ERRORS = (KombuError, OSError)


def tasks_run_in_process() -> bool:
    """No broker: Celery runs each task inline when it is queued (the embedded default)."""
    from ..tasks import deliver_email  # tasks imports services: imported here, not at the top

    return bool(deliver_email.app.conf.task_always_eager)


def enqueue_emails(email_ids: list) -> bool:
    """Hand emails to the worker in batches; a broker that is down is logged, never raised.

    A row's `queued_at` is set once the broker has accepted its batch; the rows of a
    batch it refused keep theirs, so the sweep queues them again once it is back.
    Returns whether every batch was queued.
    """
    from ..tasks import deliver_email, deliver_emails  # tasks imports services: imported here

    ids = [str(pk) for pk in email_ids]
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        handed_at = timezone.now()
        try:
            if len(batch) == 1:
                deliver_email.delay(batch[0])
            else:
                deliver_emails.delay(batch)
        except BROKER_ERRORS as exc:
            logger.warning(
                "email not queued: broker unavailable; the sweep will queue it again",
                extra={"emails": len(ids) - start, "error": type(exc).__name__},
            )
            return False
        _mark_queued(OutgoingEmail.objects.filter(pk__in=batch), handed_at)
    return True


def enqueue_fanout(fanout_id) -> bool:
    """Hand a deferred fan-out to the worker; a broker that is down is logged, never raised
    (the FanOut row stays PENDING with its `queued_at` unchanged, for the sweep)."""
    from ..tasks import expand_fanout  # tasks imports services: imported here

    handed_at = timezone.now()
    try:
        expand_fanout.delay(str(fanout_id))
    except BROKER_ERRORS as exc:
        logger.warning(
            "fan-out not queued: broker unavailable; the sweep will queue it again",
            extra={"fanout_id": str(fanout_id), "error": type(exc).__name__},
        )
        return False
    _mark_queued(FanOut.objects.filter(pk=fanout_id), handed_at)
    return True


def _mark_queued(rows, handed_at) -> None:
    """Record the broker's acceptance. The change it follows is committed: a database error
    here is logged, not raised (the sweep then queues the row once more, which sends nothing twice)."""
    try:
        rows.update(queued_at=handed_at)
    except DATABASE_ERRORS as exc:
        logger.warning("queued, but queued_at not recorded", extra={"error": type(exc).__name__})


def fanout_requeue(fanouts) -> int:
    """Queue again every PENDING fan-out in the `fanouts` queryset; return how many were queued."""
    ids = list(fanouts.filter(status=FanOutStatus.PENDING).values_list("pk", flat=True))
    return sum(enqueue_fanout(pk) for pk in ids)


def email_requeue(emails) -> int:
    """Queue delivery again for every email in the `emails` queryset that may be sent (pending,
    failed, or stranded: SENDING past its lease); return how many were queued."""
    ids = list(emails.filter(claimable(timezone.now())).values_list("pk", flat=True))
    if not ids:
        return 0
    return len(ids) if enqueue_emails(ids) else 0


def email_requeue_unsent(*, older_than: timedelta = timedelta(0)) -> int:
    """Queue every email that may be sent (and every PENDING fan-out) created before `older_than`
    ago, whatever its retry schedule; return how many emails."""
    before = timezone.now() - older_than
    fanout_requeue(FanOut.objects.filter(created_at__lte=before))
    return email_requeue(OutgoingEmail.objects.filter(created_at__lte=before))


def emails_no_task_holds(now) -> Q:
    """Emails due for a task that no live task holds: PENDING that no broker accepted (after
    SWEEP_AGE, the time a committed request takes to queue it), SENDING past its lease (its
    worker crashed), FAILED due for its retry — none queued again since — and any whose task
    the broker accepted more than REQUEUE_AGE ago (lost with the broker's data)."""
    lost = Q(queued_at__lte=now - REQUEUE_AGE)
    unqueued = Q(queued_at=None)
    return (
        (Q(status=EmailStatus.PENDING, created_at__lte=now - SWEEP_AGE) & (unqueued | lost))
        | (
            Q(status=EmailStatus.SENDING, claimed_until__lt=now)
            & (unqueued | Q(queued_at__lt=F("claimed_until")) | lost)
        )
        | (
            Q(status=EmailStatus.FAILED, next_attempt_at__lte=now)
            & (unqueued | Q(queued_at__lt=F("next_attempt_at")) | lost)
        )
    )


def retry_when_smtp_answers(now) -> int:
    """Make every email that failed for want of an SMTP server due now, if one answers now;
    return how many. The doubling delay spares a server that is down, not one that is up:
    without this, an email that failed near the end of a long outage would wait out its
    delay (up to EMAIL_RETRY_MAX_DELAY) after the server came back. One bounded probe per
    sweep, and only while such emails wait."""
    waiting = OutgoingEmail.objects.filter(status=EmailStatus.FAILED, unreachable=True, next_attempt_at__gt=now)
    if not waiting.exists() or not smtp_answers():
        return 0
    due = waiting.update(next_attempt_at=now)
    if due:
        logger.info("the SMTP server answers again: failed emails retried now", extra={"emails": due})
    return due


def email_sweep() -> int:
    """The periodic sweep (Celery beat, every NOTIFICATIONS_SWEEP_INTERVAL seconds): queue every
    email no task holds (`emails_no_task_holds`) and every fan-out whose task never came; return
    how many emails were queued. Emails that found no SMTP server are retried at once when it
    answers again (`retry_when_smtp_answers`). An email stranded again and again past
    EMAIL_RETRY_FOR_HOURS is given up (FAILED, no retry)."""
    now = timezone.now()
    retry_when_smtp_answers(now)
    fanouts = FanOut.objects.filter(status=FanOutStatus.PENDING, created_at__lte=now - SWEEP_AGE)
    fanout_requeue(fanouts.filter(Q(queued_at=None) | Q(queued_at__lte=now - FANOUT_REQUEUE_AGE)))
    given_up = OutgoingEmail.objects.filter(
        status=EmailStatus.SENDING,
        claimed_until__lt=now,
        created_at__lt=now - timedelta(hours=settings.EMAIL_RETRY_FOR_HOURS),
    ).update(
        status=EmailStatus.FAILED,
        claim=None,
        claimed_until=None,
        next_attempt_at=None,
        last_error="Its delivery stopped before recording a result, again until EMAIL_RETRY_FOR_HOURS ran out.",
    )
    if given_up:
        logger.warning("emails given up: stranded until EMAIL_RETRY_FOR_HOURS ran out", extra={"emails": given_up})
    return email_requeue(OutgoingEmail.objects.filter(emails_no_task_holds(now)))
