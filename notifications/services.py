"""Queueing and delivering outgoing email."""

import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from .messages import build_message
from .models import EmailKind, EmailStatus, OutgoingEmail

logger = logging.getLogger(__name__)


def email_queue(*, user, kind: EmailKind) -> OutgoingEmail:
    """Record an email to send to `user` and deliver it once the transaction commits."""
    from .tasks import deliver_email

    email = OutgoingEmail.objects.create(user=user, to_address=user.email, kind=kind)
    transaction.on_commit(partial(deliver_email.delay, str(email.pk)))
    return email


def email_deliver(*, email_id) -> bool:
    """Send one queued email unless it was already sent; return whether it was sent now.

    The row stays locked while sending, so two deliveries of the same task
    cannot both send. A failure is recorded on the row, then re-raised for
    the task to retry.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().select_related("user").filter(pk=email_id).first()
        if email is None or email.status == EmailStatus.SENT:
            return False
        email.attempts += 1
        try:
            build_message(email).send()
        except OSError as exc:  # smtplib.SMTPException and socket errors
            error = exc
            email.status = EmailStatus.FAILED
            email.last_error = f"{type(exc).__name__}: {exc}"[:500]
            email.save(update_fields=["status", "attempts", "last_error"])
        else:
            email.status = EmailStatus.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["status", "attempts", "last_error", "sent_at"])
            logger.info("email sent", extra={"email_id": str(email.pk), "kind": email.kind})
            return True
    logger.warning(
        "email not sent", extra={"email_id": str(email.pk), "kind": email.kind, "error": type(error).__name__}
    )
    raise error


def email_requeue(emails) -> int:
    """Queue delivery again for every email in the `emails` queryset not yet sent; return how many."""
    from .tasks import deliver_email

    ids = list(emails.exclude(status=EmailStatus.SENT).values_list("pk", flat=True))
    for pk in ids:
        deliver_email.delay(str(pk))
    return len(ids)


def email_requeue_unsent(*, older_than: timedelta = timedelta(0)) -> int:
    """Queue every PENDING or FAILED email created before `older_than` ago; return how many."""
    return email_requeue(OutgoingEmail.objects.filter(created_at__lte=timezone.now() - older_than))
