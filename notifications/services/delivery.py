"""Sending one queued email: the row says whether it is still to be sent, and records the outcome."""

import logging

from django.db import transaction
from django.utils import timezone

from ..messages import build_message
from ..models import EmailStatus, OutgoingEmail
from ..registry import UnknownKind

# The name these records always had (operators may alert on it), from before services/ was a package.
logger = logging.getLogger("notifications.services")


def email_deliver(*, email_id) -> bool:
    """Send one queued email unless it was already sent; return whether it was sent now.

    The row stays locked while sending, so two deliveries of the same task
    cannot both send. A failure is recorded on the row, then re-raised for
    the task to retry. Held (digest) rows are left for the digest.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().select_related("user").filter(pk=email_id).first()
        if email is None or email.status not in (EmailStatus.PENDING, EmailStatus.FAILED):
            return False
        email.attempts += 1
        try:
            build_message(email).send()
        except UnknownKind:  # its app no longer registers it: retrying cannot help
            email.status = EmailStatus.FAILED
            email.last_error = f"No notification kind {email.kind!r} is registered."
            email.save(update_fields=["status", "attempts", "last_error"])
            logger.warning("email not sent: unknown kind", extra={"email_id": str(email.pk), "kind": email.kind})
            return False
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
