"""Notifying people: the one entry point, the outbox, delivery, digests.

`notify(recipient=..., kind="<app>.<name>", context={...})` is called by a service
inside its transaction. It writes the rows the recipient's preferences ask for
(a `Notification` for in-app, an `OutgoingEmail` for email) and, once the
transaction commits, queues the email for the worker. `notify_many` does the
same for thousands of recipients with bulk inserts and batched queueing; with
a worker, a large one is written by the worker from one `FanOut` row, so the
calling request stays fast (5,000 recipients: one INSERT).

Queueing is best-effort: when the broker is down the row stays PENDING (it is the
source of truth) and `email_sweep` — run by Celery beat every minute, or
`send_pending_emails` — queues it again. A stored `context` is JSON (UUIDs and
dates become strings) and must hold no secret: the kind's `render` hook makes
tokens at delivery time.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from .fanout import row_key, write_rows
from .messages import DIGEST_KIND, build_message, in_app_fields
from .models import EmailStatus, FanOut, FanOutStatus, Notification, OutgoingEmail
from .preferences import choices_for
from .registry import DAILY, UnknownKind, get_kind

logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows per INSERT, and email ids per queued task
SWEEP_AGE = timedelta(minutes=1)  # a PENDING row this old without a queued task is swept
REQUEUE_AGE = timedelta(minutes=15)  # a queued PENDING row this old is queued again


def _tasks_run_in_process() -> bool:
    """No broker: Celery runs each task inline when it is queued (the embedded default)."""
    from .tasks import deliver_email

    return bool(deliver_email.app.conf.task_always_eager)


def _eager_inline_max() -> int:
    return settings.NOTIFICATIONS_EAGER_INLINE_MAX


# What publishing a task raises when the broker is unreachable (kombu wraps most
# transport errors in OperationalError; socket errors can escape it).
BROKER_ERRORS = (KombuError, OSError)


# --- notify ---------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What `notify` wrote: the in-app row and the outbox row (None when not wanted or a duplicate)."""

    notification: Notification | None
    email: OutgoingEmail | None


def _json_context(context: dict | None) -> dict:
    try:
        return json.loads(json.dumps(context or {}, cls=DjangoJSONEncoder))
    except TypeError as exc:
        raise TypeError(f"notify() context must be JSON-serialisable: {exc}") from None


def _create_once(model, **fields):
    """Insert a row unless one with the same dedupe_key exists; None when it does."""
    if fields.get("dedupe_key") and model.objects.filter(dedupe_key=fields["dedupe_key"]).exists():
        return None
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        if fields.get("dedupe_key") and model.objects.filter(dedupe_key=fields["dedupe_key"]).exists():
            return None
        raise


def notify(
    *,
    recipient,
    kind: str,
    context: dict | None = None,
    actor=None,
    to_address: str | None = None,
    dedupe_key: str | None = None,
) -> Delivery:
    """Tell `recipient` (a user) about something, on the channels the kind and their preferences allow.

    Call it inside the transaction of the change: nothing is sent if it rolls back.
    `context` (JSON values, no secrets) is stored and given to the templates;
    `to_address` overrides the recipient's email (e.g. a new address to confirm);
    `dedupe_key` (e.g. the event id) makes a repeated call for the same thing a no-op.
    """
    spec = get_kind(kind)
    context = _json_context(context)
    choice = choices_for(spec, [recipient.pk])[recipient.pk]
    notification = email = None
    if choice.in_app:
        notification = _create_once(
            Notification,
            recipient=recipient,
            kind=kind,
            actor=actor,
            dedupe_key=row_key(kind, recipient.pk, dedupe_key),
            **in_app_fields(spec, context),
        )
    if choice.email:
        held = choice.digest == DAILY
        email = _create_once(
            OutgoingEmail,
            user=recipient,
            to_address=to_address or recipient.email,
            kind=kind,
            context=context,
            dedupe_key=row_key(kind, recipient.pk, dedupe_key),
            status=EmailStatus.HELD if held else EmailStatus.PENDING,
            queued_at=None if held else timezone.now(),
        )
        if email is not None and not held:
            transaction.on_commit(partial(enqueue_emails, [email.pk]))
    return Delivery(notification=notification, email=email)


def notify_many(
    *,
    recipients,
    kind: str,
    context: dict | None = None,
    actor=None,
    dedupe_key: str | None = None,
) -> int:
    """`notify` for many recipients at once (user ids, users, or a user queryset); returns how many.

    Up to NOTIFICATIONS_FANOUT_INLINE_MAX recipients, the rows are written here in
    bulk (`fanout.write_rows`: a few queries) and the email is queued after commit
    in batches of BATCH_SIZE. Beyond it, with a worker, only one `FanOut` row is
    written here and the worker writes the rows, so a request that notifies
    5,000 people costs one INSERT. Without a broker the rows are written here, and
    a fan-out larger than NOTIFICATIONS_EAGER_INLINE_MAX leaves its emails PENDING
    for `send_pending_emails`.
    """
    spec = get_kind(kind)
    context = _json_context(context)
    now = timezone.now()
    ids = _recipient_ids(recipients)
    in_process = _tasks_run_in_process()
    if len(ids) > settings.NOTIFICATIONS_FANOUT_INLINE_MAX and not in_process:
        fanout = FanOut.objects.create(
            kind=kind,
            context=context,
            actor_id=getattr(actor, "pk", actor),
            dedupe_key=dedupe_key or "",
            recipient_ids=[str(pk) for pk in ids],
            recipients=len(ids),
            queued_at=now,
        )
        transaction.on_commit(partial(enqueue_fanout, fanout.pk))
        return len(ids)
    inline = not in_process or len(ids) <= _eager_inline_max()
    pending = write_rows(
        recipients=ids,
        kind=spec,
        context=context,
        fields=in_app_fields(spec, context),
        actor=actor,
        dedupe_key=dedupe_key,
        now=now,
        queued_at=now if inline else None,
    )
    if pending and inline:
        transaction.on_commit(partial(enqueue_emails, pending))
    elif pending:
        logger.info("fan-out left for send_pending_emails", extra={"kind": kind, "emails": len(pending)})
    return len(ids)


def _recipient_ids(recipients) -> list:
    if hasattr(recipients, "values_list"):
        return list(recipients.order_by().values_list("pk", flat=True))
    return [getattr(recipient, "pk", recipient) for recipient in recipients]


@transaction.atomic
def fanout_expand(*, fanout_id) -> int:
    """Write the rows of a deferred fan-out (the worker's task); return how many emails it queued.

    Locked and marked DONE in one transaction, and every row it writes carries
    a dedupe key, so a duplicated task writes nothing twice."""
    fanout = FanOut.objects.select_for_update().filter(pk=fanout_id, status=FanOutStatus.PENDING).first()
    if fanout is None:
        return 0
    now = timezone.now()
    try:
        spec = get_kind(fanout.kind)
    except UnknownKind:
        logger.warning("fan-out dropped: unknown kind", extra={"fanout_id": str(fanout.pk), "kind": fanout.kind})
        pending = []
    else:
        pending = write_rows(
            recipients=fanout.recipient_ids,
            kind=spec,
            context=fanout.context,
            fields=in_app_fields(spec, fanout.context),
            actor=fanout.actor_id,
            dedupe_key=fanout.dedupe_key or f"fanout:{fanout.pk}",
            now=now,
            queued_at=now,
        )
    fanout.status, fanout.done_at = FanOutStatus.DONE, now
    fanout.save(update_fields=["status", "done_at"])
    if pending:
        transaction.on_commit(partial(enqueue_emails, pending))
    return len(pending)


# --- Queueing (best-effort) -----------------------------------------------------


def enqueue_emails(email_ids: list) -> bool:
    """Hand emails to the worker in batches; a broker that is down is logged, never raised.

    The rows stay PENDING with no `queued_at`, so the sweep queues them again
    once the broker is back. Returns whether every batch was queued.
    """
    from .tasks import deliver_email, deliver_emails

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
    from .tasks import expand_fanout

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


# --- Delivery -------------------------------------------------------------------


def email_deliver(*, email_id) -> bool:
    """Send one queued email unless it was already sent; return whether it was sent now.

    The row stays locked while sending, so two deliveries of the same task
    cannot both send. A failure is recorded on the row, then re-raised for
    the task to retry. Held (digest) rows are left for the digest.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().select_related("user").filter(pk=email_id).first()
        if email is None or email.status not in (EmailStatus.PENDING, EmailStatus.FAILED):
            return False
        email.attempts += 1
        try:
            build_message(email).send()
        except UnknownKind:  # its app no longer registers it: retrying cannot help
            email.status = EmailStatus.FAILED
            email.last_error = f"No notification kind {email.kind!r} is registered."
            email.save(update_fields=["status", "attempts", "last_error"])
            logger.warning("email not sent: unknown kind", extra={"email_id": str(email.pk), "kind": email.kind})
            return False
        except OSError as exc:  # smtplib.SMTPException and socket errors
            error = exc
            email.status = EmailStatus.FAILED
            email.last_error = f"{type(exc).__name__}: {exc}"[:500]
            email.save(update_fields=["status", "attempts", "last_error"])
        else:
            email.status = EmailStatus.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["status", "attempts", "last_error", "sent_at"])
            logger.info("email sent", extra={"email_id": str(email.pk), "kind": email.kind})
            return True
    logger.warning(
        "email not sent", extra={"email_id": str(email.pk), "kind": email.kind, "error": type(error).__name__}
    )
    raise error


# --- Daily digest ---------------------------------------------------------------


def digest_send(*, now=None) -> int:
    """Gather every HELD email into one digest per recipient; return how many digests were made.

    One digest per recipient per UTC day (its dedupe key holds the date), so
    running this twice a day mails nothing twice; items held after today's
    digest wait for tomorrow's.
    """
    now = now or timezone.now()
    user_ids = (
        OutgoingEmail.objects.filter(status=EmailStatus.HELD, created_at__lte=now)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    made = 0
    for user_id in list(user_ids):
        made += _digest_one(user_id=user_id, now=now)
    return made


@transaction.atomic
def _digest_one(*, user_id, now) -> int:
    held = list(
        OutgoingEmail.objects.select_for_update()
        .filter(user_id=user_id, status=EmailStatus.HELD, created_at__lte=now)
        .select_related("user")
    )
    if not held:
        return 0
    recipient = held[0].user
    digest = _create_once(
        OutgoingEmail,
        user=recipient,
        to_address=recipient.email,
        kind=DIGEST_KIND,
        context={"items": len(held)},
        dedupe_key=f"{DIGEST_KIND}:{user_id}:{now.date().isoformat()}",
        queued_at=now,
    )
    if digest is None:
        return 0
    OutgoingEmail.objects.filter(pk__in=[email.pk for email in held]).update(status=EmailStatus.DIGESTED, digest=digest)
    transaction.on_commit(partial(enqueue_emails, [digest.pk]))
    return 1


# --- In-app ---------------------------------------------------------------------


def notification_mark_read(*, recipient, notification_id) -> Notification:
    """Mark one of the recipient's notifications read (idempotent); DoesNotExist for anyone else's."""
    notification = Notification.objects.get(pk=notification_id, recipient=recipient)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notification_mark_all_read(*, recipient, notifications=None) -> int:
    """Mark the recipient's unread notifications (all, or those among `notifications`) read; return how many."""
    queryset = Notification.objects.all() if notifications is None else notifications
    return queryset.filter(recipient=recipient, read_at__isnull=True).update(read_at=timezone.now())
