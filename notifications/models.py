import uuid

from django.conf import settings
from django.db import models


class EmailKind(models.TextChoices):
    VERIFY_EMAIL = "VERIFY_EMAIL", "Email verification"


class EmailStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENT = "SENT", "Sent"
    FAILED = "FAILED", "Failed"


class OutgoingEmail(models.Model):
    """One email the service has to send: a row of the transactional outbox.

    Created in the same transaction as the change that calls for it; a task
    delivers it after commit. Delivering an email already SENT does nothing,
    so a retried or duplicated task never mails the same message twice. The
    body is rendered at delivery time and never stored (it may hold a token).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outgoing_emails")
    to_address = models.EmailField(max_length=255)
    kind = models.CharField(max_length=30, choices=EmailKind)
    status = models.CharField(max_length=10, choices=EmailStatus, default=EmailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="notif_email_status_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to_address}"
