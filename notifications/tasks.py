import random

from celery import shared_task
from django.conf import settings

from .services import digest_send, email_deliver, email_sweep, fanout_expand


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: about 5 s, 10 s, 20 s, … capped at 10 minutes."""
    return min(600, 5 * 2**retries) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto


@shared_task(bind=True, max_retries=settings.EMAIL_SEND_MAX_RETRIES)
def deliver_email(self, email_id: str) -> bool:
    """Deliver one OutgoingEmail; SMTP and network errors are retried with backoff.

    Run in-process (no broker), a failure is not retried inline, which would
    hold up the request: the row stays FAILED for `send_pending_emails`.
    """
    try:
        return email_deliver(email_id=email_id)
    except OSError as exc:
        if self.request.is_eager:
            return False
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc


@shared_task(bind=True)
def deliver_emails(self, email_ids: list[str]) -> int:
    """Deliver a batch (a fan-out); each email that fails gets its own retrying `deliver_email`."""
    sent = 0
    for email_id in email_ids:
        try:
            sent += email_deliver(email_id=email_id)
        except OSError:
            if not self.request.is_eager:
                deliver_email.apply_async((email_id,), countdown=retry_delay(0))
    return sent


@shared_task
def sweep_emails() -> int:
    """Beat, every minute: queue PENDING emails the broker never got (see services.email_sweep)."""
    return email_sweep()


@shared_task
def send_digests() -> int:
    """Beat, daily: one digest email per recipient with held notifications."""
    return digest_send()


@shared_task
def expand_fanout(fanout_id: str) -> int:
    """Write the rows of a large notify_many and queue its emails (see services.fanout_expand)."""
    return fanout_expand(fanout_id=fanout_id)
