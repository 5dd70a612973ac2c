"""The notifications rules of core.retention: read in-app notifications after
NOTIFICATIONS_READ_RETENTION_DAYS, sent emails (their stored context, what their body was made
from) after EMAIL_RETENTION_DAYS. 0 keeps them forever. Unread notifications and emails not
yet sent (pending, failed, held for a digest) are never deleted."""

from datetime import timedelta

from django.conf import settings

from core.retention import delete_in_batches, register

from .models import EmailStatus, Notification, OutgoingEmail


def read_notifications(now, batch_size) -> int:
    days = settings.NOTIFICATIONS_READ_RETENTION_DAYS
    if not days:
        return 0
    return delete_in_batches(Notification.objects.filter(read_at__lt=now - timedelta(days=days)), batch_size)


def sent_emails(now, batch_size) -> int:
    """Emails sent (or sent in a digest) over EMAIL_RETENTION_DAYS ago; the items first, then the digests."""
    days = settings.EMAIL_RETENTION_DAYS
    if not days:
        return 0
    old = OutgoingEmail.objects.filter(created_at__lt=now - timedelta(days=days))
    items = delete_in_batches(old.filter(status=EmailStatus.DIGESTED), batch_size)
    return items + delete_in_batches(old.filter(status=EmailStatus.SENT, items__isnull=True), batch_size)


def register_rules() -> None:
    register("read_notifications", read_notifications)
    register("sent_emails", sent_emails)
