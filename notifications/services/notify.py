"""`notify` and `notify_many`: the rows a notice needs, written in the caller's transaction,
and the deferred fan-out the worker writes for a large `notify_many`."""

import json
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..fanout import row_key, write_rows
from ..messages import in_app_fields
from ..metrics import FANOUT_RECIPIENTS
from ..models import EmailStatus, FanOut, FanOutStatus, Notification, OutgoingEmail
from ..preferences import choices_for
from ..registry import DAILY, UnknownKind, get_kind
from .outbox import enqueue_emails, enqueue_fanout, tasks_run_in_process

# The name these records always had (operators may alert on it), from before services/ was a package.
logger = logging.getLogger("notifications.services")


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


def create_once(model, **fields):
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
        notification = create_once(
            Notification,
            recipient=recipient,
            kind=kind,
            actor=actor,
            dedupe_key=row_key(kind, recipient.pk, dedupe_key),
            **in_app_fields(spec, {**context, "recipient": recipient}),
        )
    if choice.email:
        held = choice.digest == DAILY
        email = create_once(
            OutgoingEmail,
            user=recipient,
            to_address=to_address or recipient.email,
            kind=kind,
            context=context,
            dedupe_key=row_key(kind, recipient.pk, dedupe_key),
            status=EmailStatus.HELD if held else EmailStatus.PENDING,
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
    if ids:  # counted here, once: a deferred fan-out is not counted again by the worker
        FANOUT_RECIPIENTS.labels(kind=kind).observe(len(ids))
    in_process = tasks_run_in_process()
    if len(ids) > settings.NOTIFICATIONS_FANOUT_INLINE_MAX and not in_process:
        fanout = FanOut.objects.create(
            kind=kind,
            context=context,
            actor_id=getattr(actor, "pk", actor),
            dedupe_key=dedupe_key or "",
            recipient_ids=[str(pk) for pk in ids],
            recipients=len(ids),
        )
        transaction.on_commit(partial(enqueue_fanout, fanout.pk))
        return len(ids)
    inline = not in_process or len(ids) <= settings.NOTIFICATIONS_EAGER_INLINE_MAX
    pending = write_rows(
        recipients=ids,
        kind=spec,
        context=context,
        actor=actor,
        dedupe_key=dedupe_key,
        now=now,
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
            actor=fanout.actor_id,
            dedupe_key=fanout.dedupe_key or f"fanout:{fanout.pk}",
            now=now,
        )
    fanout.status, fanout.done_at = FanOutStatus.DONE, now
    fanout.save(update_fields=["status", "done_at"])
    if pending:
        transaction.on_commit(partial(enqueue_emails, pending))
    return len(pending)
