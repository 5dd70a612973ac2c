import random

from celery import shared_task
from django.conf import settings

from .services import email_deliver


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
