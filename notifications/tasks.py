from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from . import heartbeat
from .services import digest_send, email_sweep, fanout_expand
from .services.delivery import DATABASE_ERRORS, emails_deliver, retry_delay

__all__ = ["deliver_email", "deliver_emails", "expand_fanout", "retry_delay", "send_digests", "sweep_emails"]


def _deliver(task, email_ids: list[str]) -> int:
    """Send a batch; a database error (the row's state unknown) is retried with backoff.

    SMTP and network failures are recorded on each row and retried by the sweep
    (services.delivery). Run in-process (no broker), nothing is retried inline, which
    would hold up the request: the rows wait for `send_pending_emails`."""
    try:
        return emails_deliver(email_ids=email_ids)
    except DATABASE_ERRORS as exc:
        if task.request.is_eager:
            return 0
        raise task.retry(exc=exc, countdown=retry_delay(task.request.retries)) from exc


@shared_task(bind=True, max_retries=settings.EMAIL_SEND_MAX_RETRIES)
def deliver_email(self, email_id: str) -> bool:
    """Deliver one OutgoingEmail; return whether it was sent now (see `_deliver`)."""
    return _deliver(self, [email_id]) == 1


@shared_task(bind=True, max_retries=settings.EMAIL_SEND_MAX_RETRIES)
def deliver_emails(self, email_ids: list[str]) -> int:
    """Deliver a batch (a fan-out) over one SMTP connection; return how many were sent."""
    return _deliver(self, email_ids)


@shared_task
def sweep_emails() -> int:
    """Beat, every NOTIFICATIONS_SWEEP_INTERVAL: queue the emails no task holds (services.email_sweep)."""
    return email_sweep()


@shared_task
def send_digests() -> int:
    """Beat, every NOTIFICATIONS_DIGEST_INTERVAL: the digests due at NOTIFICATIONS_DIGEST_TIME local time."""
    return digest_send()


@shared_task
def expand_fanout(fanout_id: str) -> int:
    """Write the rows of a large notify_many and queue its emails (see services.fanout_expand)."""
    return fanout_expand(fanout_id=fanout_id)


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs):
    """A worker process that is up says so every WORKER_HEARTBEAT_INTERVAL seconds (read by /health)."""
    heartbeat.start()
