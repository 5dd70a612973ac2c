from celery import shared_task
from django.conf import settings

from .services import email_deliver


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.EMAIL_SEND_MAX_RETRIES,
)
def deliver_email(self, email_id: str) -> bool:
    """Deliver one OutgoingEmail; SMTP and network errors are retried with backoff."""
    return email_deliver(email_id=email_id)
