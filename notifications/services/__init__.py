"""Notifying people: the one entry point, the outbox, delivery, digests, the inbox.

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

One module per area: `notify` (notify, notify_many, the deferred fan-out),
`outbox` (queueing and the sweep), `delivery` (sending one queued email),
`digest` (the daily digest) and `inbox` (marking in-app notifications read).
"""

from .delivery import email_deliver
from .digest import digest_plan, digest_send, digest_unsubscribe
from .inbox import notification_mark_all_read, notification_mark_read
from .notify import Delivery, fanout_expand, notify, notify_many
from .outbox import (
    BATCH_SIZE,
    BROKER_ERRORS,
    REQUEUE_AGE,
    SWEEP_AGE,
    email_requeue,
    email_requeue_unsent,
    email_sweep,
    enqueue_emails,
    enqueue_fanout,
    fanout_requeue,
)

__all__ = [
    "BATCH_SIZE",
    "BROKER_ERRORS",
    "REQUEUE_AGE",
    "SWEEP_AGE",
    "Delivery",
    "digest_plan",
    "digest_send",
    "digest_unsubscribe",
    "email_deliver",
    "email_requeue",
    "email_requeue_unsent",
    "email_sweep",
    "enqueue_emails",
    "enqueue_fanout",
    "fanout_expand",
    "fanout_requeue",
    "notification_mark_all_read",
    "notification_mark_read",
    "notify",
    "notify_many",
]
