"""Reads of in-app notifications."""

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from .models import Notification


def notification_list(*, recipient) -> QuerySet:
    """The recipient's notifications: unread first, then newest first (a stable order)."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (
        Notification.objects.filter(recipient=recipient).alias(unread=unread).order_by("-unread", "-created_at", "-id")
    )


def notification_unread_count(*, recipient) -> int:
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()
