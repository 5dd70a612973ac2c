"""Notifying people: the one entry point, the outbox, delivery, digests.

`notify(recipient=..., kind="<app>.<name>", context={...})` is called by a service
inside its transaction. It writes the rows the recipient's preferences ask for
(a `Notification` for in-app, an `OutgoingEmail` for email) and, once the
transaction commits, queues the email for the worker. `notify_many` does the
same for thousands of recipients with bulk inserts and batched queueing.

Queueing is best-effort: when the broker is down the row stays PENDING (it is the
source of truth) and `email_sweep` — run by Celery beat every minute, or
`send_pending_emails` — queues it again. A stored `context` is JSON (UUIDs and
dates become strings) and must hold no secret: the kind's `render` hook makes
tokens at delivery time.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from .messages import DIGEST_KIND, build_message, in_app_fields
from .models import EmailStatus, Notification, NotificationPreference, OutgoingEmail
from .preferences import choices_for, preference_choice
from .registry import DAILY, Kind, UnknownKind, get_kind

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


def _row_key(kind: str, recipient_id, dedupe_key: str | None) -> str | None:
    """The stored key: unique per kind, recipient and the caller's key."""
    if dedupe_key is None:
        return None
    key = f"{kind}:{recipient_id}:{dedupe_key}"
    return key if len(key) <= 255 else f"{kind}:{recipient_id}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


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
            dedupe_key=_row_key(kind, recipient.pk, dedupe_key),
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
            dedupe_key=_row_key(kind, recipient.pk, dedupe_key),
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

    The rows are written in bulk (on PostgreSQL one INSERT … SELECT FROM unnest(…)
    per table, elsewhere bulk_create) and email is queued in batches of
    BATCH_SIZE ids after commit, so thousands of recipients cost a few queries
    and a few broker messages. Without a broker, a fan-out larger than
    NOTIFICATIONS_EAGER_INLINE_MAX is not mailed inside the request: its rows
    stay PENDING for `send_pending_emails`.
    """
    spec = get_kind(kind)
    context = _json_context(context)
    now = timezone.now()
    people, choices = _recipients_and_choices(recipients, spec)
    inline = not _tasks_run_in_process() or len(people) <= _eager_inline_max()
    in_app = [(pk, _row_key(kind, pk, dedupe_key)) for pk, _ in people if choices[pk].in_app]
    emails = [
        (
            uuid.uuid4(),
            pk,
            address,
            _row_key(kind, pk, dedupe_key),
            EmailStatus.HELD if choices[pk].digest == DAILY else EmailStatus.PENDING,
        )
        for pk, address in people
        if choices[pk].email
    ]
    writer = _PostgresWriter if connection.vendor == "postgresql" else _OrmWriter
    writer.notifications(in_app, kind=kind, actor=actor, now=now, **in_app_fields(spec, context))
    pending = writer.emails(emails, kind=kind, context=context, now=now, queued_at=now if inline else None)
    if pending and inline:
        transaction.on_commit(partial(enqueue_emails, pending))
    elif pending:
        logger.info("fan-out left for send_pending_emails", extra={"kind": kind, "emails": len(pending)})
    return len(people)


def _recipients_and_choices(recipients, kind: Kind) -> tuple[list, dict]:
    """[(user id, email)] and {user id: Choice} for ids, users or a user queryset, in one query:
    the users joined to their preference row for this kind."""
    User = get_user_model()
    if hasattr(recipients, "values_list"):
        users = recipients.order_by()
    else:
        users = User.objects.filter(pk__in=[getattr(recipient, "pk", recipient) for recipient in recipients])
    pref = FilteredRelation("notification_preferences", condition=Q(notification_preferences__kind=kind.key))
    rows = users.annotate(pref=pref).values_list(
        "pk", "email", "pref__pk", "pref__email", "pref__in_app", "pref__digest"
    )
    people, choices = [], {}
    for pk, address, pref_pk, email, in_app, digest in rows:
        people.append((pk, address))
        row = None if pref_pk is None else NotificationPreference(email=email, in_app=in_app, digest=digest)
        choices[pk] = preference_choice(kind, row)
    return people, choices


class _OrmWriter:
    """Bulk inserts through the ORM; rows whose dedupe_key is taken are skipped."""

    @staticmethod
    def notifications(rows, *, kind, actor, now, title, body, link) -> None:
        objects = [
            Notification(recipient_id=pk, kind=kind, actor=actor, dedupe_key=key, title=title, body=body, link=link)
            for pk, key in rows
        ]
        Notification.objects.bulk_create(_without_existing(Notification, objects), batch_size=BATCH_SIZE)

    @staticmethod
    def emails(rows, *, kind, context, now, queued_at) -> list:
        """Insert; return the ids of the PENDING rows inserted (to queue)."""
        objects = [
            OutgoingEmail(
                id=email_id,
                user_id=pk,
                to_address=address,
                kind=kind,
                context=context,
                dedupe_key=key,
                status=status,
                queued_at=queued_at if status == EmailStatus.PENDING else None,
            )
            for email_id, pk, address, key, status in rows
        ]
        objects = _without_existing(OutgoingEmail, objects)
        OutgoingEmail.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return [email.pk for email in objects if email.status == EmailStatus.PENDING]


def _without_existing(model, objects: list) -> list:
    keys = [obj.dedupe_key for obj in objects if obj.dedupe_key]
    taken = set()
    for start in range(0, len(keys), BATCH_SIZE):
        batch = keys[start : start + BATCH_SIZE]
        taken.update(model.objects.filter(dedupe_key__in=batch).values_list("dedupe_key", flat=True))
    return [obj for obj in objects if obj.dedupe_key not in taken]


class _PostgresWriter:
    """One INSERT … SELECT FROM unnest(arrays) … ON CONFLICT DO NOTHING per table.

    5,000 recipients as a few array parameters instead of 55,000 bound values:
    the ORM's bulk_create spends over a second binding them on this machine.
    A taken dedupe_key skips its row, as the ORM writer does.
    """

    @staticmethod
    def _columns(model, *names):
        return ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in names)

    @classmethod
    def notifications(cls, rows, *, kind, actor, now, title, body, link) -> None:
        if not rows:
            return
        pk_type = get_user_model()._meta.pk.db_type(connection)
        columns = cls._columns(
            Notification, "recipient", "kind", "title", "body", "link", "actor", "dedupe_key", "created_at"
        )
        sql = (
            f"INSERT INTO {connection.ops.quote_name(Notification._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
            f"SELECT r.pk, %s, %s, %s, %s, %s, r.key, %s "
            f"FROM unnest(%s::{pk_type}[], %s::text[]) AS r(pk, key) ON CONFLICT DO NOTHING"
        )
        pks, keys = [pk for pk, _ in rows], [key for _, key in rows]
        with connection.cursor() as cursor:
            cursor.execute(sql, [kind, title, body, link, getattr(actor, "pk", actor), now, pks, keys])

    @classmethod
    def emails(cls, rows, *, kind, context, now, queued_at) -> list:
        if not rows:
            return []
        pk_type = get_user_model()._meta.pk.db_type(connection)
        columns = cls._columns(
            OutgoingEmail,
            *("id", "user", "to_address", "kind", "context", "dedupe_key", "status"),
            *("attempts", "last_error", "queued_at", "created_at"),
        )
        sql = (
            f"INSERT INTO {connection.ops.quote_name(OutgoingEmail._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
            f"SELECT r.id, r.pk, r.address, %s, %s::jsonb, r.key, r.status, 0, '', "
            f"CASE WHEN r.status = %s THEN %s::timestamptz END, %s "
            f"FROM unnest(%s::uuid[], %s::{pk_type}[], %s::text[], %s::text[], %s::text[]) "
            f"AS r(id, pk, address, key, status) ON CONFLICT DO NOTHING RETURNING id, status"
        )
        ids, pks, addresses, keys, statuses = (list(column) for column in zip(*rows, strict=True))
        params = [kind, json.dumps(context), EmailStatus.PENDING, queued_at, now, ids, pks, addresses, keys, statuses]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [email_id for email_id, status in cursor.fetchall() if status == EmailStatus.PENDING]


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


def email_requeue(emails) -> int:
    """Queue delivery again for every email in the `emails` queryset not yet sent; return how many were queued."""
    ids = list(emails.filter(status__in=[EmailStatus.PENDING, EmailStatus.FAILED]).values_list("pk", flat=True))
    if not ids:
        return 0
    OutgoingEmail.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    return len(ids) if enqueue_emails(ids) else 0


def email_requeue_unsent(*, older_than: timedelta = timedelta(0)) -> int:
    """Queue every PENDING or FAILED email created before `older_than` ago; return how many."""
    return email_requeue(OutgoingEmail.objects.filter(created_at__lte=timezone.now() - older_than))


def email_sweep() -> int:
    """The periodic sweep: PENDING emails older than a minute that no task holds (the broker
    was down when they were created, or their task was queued long ago and lost)."""
    now = timezone.now()
    stale = OutgoingEmail.objects.filter(status=EmailStatus.PENDING, created_at__lte=now - SWEEP_AGE).exclude(
        queued_at__gt=now - REQUEUE_AGE
    )
    return email_requeue(stale)


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
