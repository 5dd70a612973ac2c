import uuid

from django.conf import settings
from django.db import models

from .registry import DIGEST_CHOICES, IMMEDIATELY


class EmailStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENDING = "SENDING", "Being sent"
    SENT = "SENT", "Sent"
    FAILED = "FAILED", "Failed"
    HELD = "HELD", "Held for the daily digest"
    DIGESTED = "DIGESTED", "Sent in a digest"


class OutgoingEmail(models.Model):
    """One email the service has to send: a row of the transactional outbox.

    Created in the same transaction as the change that calls for it; a task
    delivers it after commit, and a periodic sweep queues again what no task
    holds (never queued, stranded by a crash, or due for a retry). A task
    claims the row (SENDING, with a short lease) before sending, so one worker
    at a time sends it, and delivering an email already SENT does nothing;
    `dedupe_key` makes a repeated `notify` for the same thing create no second
    row. The body is rendered at delivery time and never stored (it may hold a
    token): `context` holds only JSON values the kind's templates need, never a
    secret.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by (user, status) below; a separate index on user alone would only slow down fan-out inserts.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outgoing_emails", db_index=False
    )
    to_address = models.EmailField(max_length=255)
    kind = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=EmailStatus, default=EmailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="items", help_text="The digest email."
    )
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the broker last accepted a task for it (empty: none ever did)."
    )
    claim = models.UUIDField(
        null=True, blank=True, editable=False, help_text="The delivery that holds it while SENDING."
    )
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="End of the sending worker's lease: a SENDING email past it was stranded."
    )
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the sweep tries a FAILED email again; empty: never by itself (refused, or out of time).",
    )
    unreachable = models.BooleanField(
        default=False,
        db_default=False,  # rows written by SQL of our own (fanout's bulk INSERT) name only the columns they set
        help_text="Its last attempt reached no SMTP server (refused, timed out, dropped): retried once one answers.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notif_email_status_idx"),
            models.Index(fields=["user", "status"], name="notif_email_user_status_idx"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to_address}"


class Notification(models.Model):
    """One in-app notification: what happened to the recipient, with a link to it."""

    # Indexed by (recipient, read_at, created_at) below.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dedupe_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notif_recipient_read_idx")]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A recipient's choice for one kind; a missing row means the kind's defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=100)
    email = models.BooleanField(default=True)
    in_app = models.BooleanField(default=True)
    digest = models.CharField(
        max_length=12, choices=[(choice, choice.capitalize()) for choice in DIGEST_CHOICES], default=IMMEDIATELY
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_user_kind_unique")]

    def __str__(self):
        return f"{self.kind} for user {self.user_id}"


class FanOutStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    DONE = "DONE", "Done"


class FanOut(models.Model):
    """A `notify_many` too large to write inside the request (NOTIFICATIONS_FANOUT_INLINE_MAX).

    Written in the same transaction as the change that calls for it, so it is
    committed or rolled back with it; the worker expands it into Notification
    and OutgoingEmail rows. Expanding twice writes nothing more (every row it
    writes has a dedupe key), and the sweep queues again one the broker missed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dedupe_key = models.CharField(max_length=200, blank=True)
    recipient_ids = models.JSONField(default=list)
    recipients = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=FanOutStatus, default=FanOutStatus.PENDING)
    queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="notif_fanout_status_idx")]

    def __str__(self):
        return f"{self.kind} to {self.recipients} recipient(s)"
