"""Marking in-app notifications read: only their recipient may."""

from django.utils import timezone

from ..models import Notification


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
