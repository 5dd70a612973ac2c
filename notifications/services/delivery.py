"""Sending queued emails: claim the rows, send, record each outcome.

A delivery first claims its rows in one conditional UPDATE (PENDING, FAILED, or
SENDING whose lease ran out → SENDING, with this delivery's `claim` and a lease of
EMAIL_CLAIM_SECONDS that it renews as it goes), so one worker at a time sends a
row and a duplicated task finds nothing to claim. One SMTP connection serves the
batch. Nothing stands between the SMTP server's acceptance of a message and the
UPDATE that marks its row SENT (tried again on a fresh connection if the database
drops it). A worker killed in that window leaves the row SENDING; once its lease
runs out the sweep sends it again with the same Message-ID: the one duplicate
SMTP allows, which a receiving system can drop.

Failures: a 5xx refusal of the message (its recipient, sender or content) is
FAILED for good; any other SMTP or network error is FAILED with `next_attempt_at`,
and the sweep tries again with a doubling delay until EMAIL_RETRY_FOR_HOURS after
the row was written. A row that found no server at all (refused, timed out,
dropped) is also marked `unreachable`: the delay spares a server that is down,
so once `smtp_answers()` the sweep retries such rows at once. A database error
hands back the rows not yet sent and is raised for the task to retry.
"""

import contextlib
import logging
import random
import smtplib
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..messages import build_message
from ..models import EmailStatus, OutgoingEmail
from ..registry import UnknownKind

# The name these records always had (operators may alert on it), from before services/ was a package.
logger = logging.getLogger("notifications.services")

# What a lost or terminated database connection raises: retried, like a network error.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RECORD_SENT_TRIES = 4  # marking a sent email SENT, on a fresh connection each time (0.2, 0.4, 0.8 s apart)
# Errors after which the SMTP session is still usable for the next message.
SESSION_INTACT = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)
PROBE_TIMEOUT = 5  # seconds, at most, for the sweep's probe of the SMTP server


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: about 5 s, 10 s, 20 s, … capped at EMAIL_RETRY_MAX_DELAY (10 minutes)."""
    return min(settings.EMAIL_RETRY_MAX_DELAY, 5 * 2 ** min(retries, 32)) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto


def is_refusal(exc: Exception) -> bool:
    """A 5xx answer refusing this message (its recipient, sender or content): trying again cannot help.

    Anything else may pass later: a 4xx, a refused login (the server's configuration,
    not the message), a dropped connection, a timeout."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= code < 600 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


def is_unreachable(exc: Exception) -> bool:
    """No SMTP server answered about the message: refused, timed out, dropped, or a greeting
    refusing the session (421). Not a reply to the message itself, nor a refused login."""
    if not isinstance(exc, OSError):
        return False
    return not isinstance(exc, SESSION_INTACT) or isinstance(exc, smtplib.SMTPConnectError)


def smtp_answers() -> bool:
    """Whether the SMTP server takes a session now: connect, greeting, EHLO (and the TLS and
    login the settings ask for), NOOP, each bounded by PROBE_TIMEOUT seconds; nothing is sent."""
    backend = get_connection(timeout=min(settings.EMAIL_TIMEOUT or PROBE_TIMEOUT, PROBE_TIMEOUT))
    try:
        backend.open()
        session = getattr(backend, "connection", None)
        if isinstance(session, smtplib.SMTP):
            session.ehlo_or_helo_if_needed()
            return session.noop()[0] == 250
        return True  # a backend without a server (console, file, memory) always answers
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            backend.close()


def claimable(now) -> Q:
    """Rows a delivery may take: not sent, not held, and not held by another delivery's live lease."""
    return Q(status__in=[EmailStatus.PENDING, EmailStatus.FAILED]) | Q(
        status=EmailStatus.SENDING, claimed_until__lt=now
    )


def email_deliver(*, email_id) -> bool:
    """Send one queued email unless it is sent, held or being sent; return whether it was sent now."""
    return emails_deliver(email_ids=[email_id]) == 1


def emails_deliver(*, email_ids) -> int:
    """Claim, send and record each email of a batch (see the module); return how many were sent."""
    batch = _Batch(email_ids)
    if not batch.emails:
        return 0
    unsent = list(batch.emails)
    sent = 0
    try:
        with _smtp(batch, unsent) as smtp:
            while smtp is not None and unsent:
                batch.renew_lease(unsent)
                message = _message(batch, unsent[0])
                email = unsent.pop(0)
                if message is None:
                    continue
                try:
                    smtp.send_messages([message])
                except OSError as exc:  # smtplib.SMTPException and socket errors
                    _record_failure(batch, email, exc)
                    if not isinstance(exc, SESSION_INTACT):
                        smtp = _reconnect(batch, smtp, unsent)
                    continue
                _record_sent(batch, email)
                sent += 1
    except DATABASE_ERRORS:
        _hand_back(batch, unsent)
        raise
    return sent


class _Batch:
    """The rows one delivery claimed, and their lease."""

    def __init__(self, email_ids):
        self.claim = uuid.uuid4()
        self.lease = timedelta(seconds=settings.EMAIL_CLAIM_SECONDS)
        now = timezone.now()
        with transaction.atomic():
            # Locked in key order, so two deliveries of overlapping batches queue up rather than
            # deadlock; the second sees the rows the first claimed as SENDING, and leaves them.
            # (Not SKIP LOCKED: a row is also locked for a moment by the web process recording
            # its `queued_at`, and such a row must be waited for, not skipped.)
            ids = list(
                OutgoingEmail.objects.select_for_update()
                .filter(claimable(now), pk__in=list(email_ids))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            OutgoingEmail.objects.filter(claimable(now), pk__in=ids).update(
                status=EmailStatus.SENDING,
                claim=self.claim,
                claimed_until=now + self.lease,
                attempts=F("attempts") + 1,
            )
        self.emails = list(
            OutgoingEmail.objects.filter(pk__in=ids, claim=self.claim).select_related("user").order_by("created_at")
        )
        self.renewed = time.monotonic()

    def renew_lease(self, unsent) -> None:
        """Extend the lease of the rows still to send once a third of it has passed."""
        if time.monotonic() - self.renewed < self.lease.total_seconds() / 3:
            return
        pks = [email.pk for email in unsent]
        self.rows(pks, status=EmailStatus.SENDING).update(claimed_until=timezone.now() + self.lease)
        self.renewed = time.monotonic()

    def rows(self, pks, **filters):
        """These rows, as long as this delivery holds them."""
        return OutgoingEmail.objects.filter(pk__in=pks, claim=self.claim, **filters)


@contextlib.contextmanager
def _smtp(batch, unsent):
    """One open connection for the batch, or None (and every email failed) when it cannot open."""
    smtp = get_connection() if unsent else None
    if smtp is not None:
        try:
            smtp.open()
        except OSError as exc:
            _fail_all(batch, unsent, exc)
            smtp = None
    try:
        yield smtp
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()


def _reconnect(batch, smtp, unsent):
    """A new session after one broke; None (and every email left failed) when it cannot open."""
    with contextlib.suppress(OSError):
        smtp.close()
    if not unsent:
        return smtp
    try:
        smtp.open()
    except OSError as exc:
        _fail_all(batch, unsent, exc)
        return None
    return smtp


def _message(batch, email):
    """The email's message, or None when it cannot be made (the failure recorded on the row)."""
    try:
        return build_message(email)
    except UnknownKind:  # its app no longer registers it: trying again cannot help
        batch.rows([email.pk]).update(
            status=EmailStatus.FAILED,
            last_error=f"No notification kind {email.kind!r} is registered.",
            claimed_until=None,
            next_attempt_at=None,
        )
        logger.warning("email not sent: unknown kind", extra={"email_id": str(email.pk), "kind": email.kind})
        return None
    except DATABASE_ERRORS:
        raise  # the database's trouble, not the email's: handed back with the rest of the batch
    except Exception as exc:  # one email's broken template or render hook must not strand its batch
        logger.exception("email not rendered", extra={"email_id": str(email.pk), "kind": email.kind})
        _record_failure(batch, email, exc)
        return None


def _record_sent(batch, email) -> None:
    """Mark the row SENT at once; on a dropped connection, again on a fresh one."""
    for attempt in range(RECORD_SENT_TRIES):
        try:
            updated = batch.rows([email.pk]).update(
                status=EmailStatus.SENT,
                sent_at=timezone.now(),
                last_error="",
                claimed_until=None,
                next_attempt_at=None,
                unreachable=False,
            )
            break
        except DATABASE_ERRORS:
            if attempt == RECORD_SENT_TRIES - 1 or connection.in_atomic_block:
                logger.error(
                    "email sent but not recorded: it is sent again once its lease runs out",
                    extra={"email_id": str(email.pk), "kind": email.kind},
                )
                raise
            connection.close()
            time.sleep(0.2 * 2**attempt)
    if not updated:
        logger.warning(
            "email sent after its lease ran out: another delivery may send it too",
            extra={"email_id": str(email.pk), "kind": email.kind},
        )
    logger.info("email sent", extra={"email_id": str(email.pk), "kind": email.kind})


def _record_failure(batch, email, exc) -> None:
    now = timezone.now()
    refused = is_refusal(exc)
    out_of_time = email.created_at < now - timedelta(hours=settings.EMAIL_RETRY_FOR_HOURS)
    retry_at = None if refused or out_of_time else now + timedelta(seconds=retry_delay(email.attempts - 1))
    batch.rows([email.pk]).update(
        status=EmailStatus.FAILED,
        last_error=f"{type(exc).__name__}: {exc}"[:500],
        claimed_until=None,
        next_attempt_at=retry_at,
        unreachable=is_unreachable(exc),
    )
    logger.warning(
        "email not sent",
        extra={
            "email_id": str(email.pk),
            "kind": email.kind,
            "error": type(exc).__name__,
            "attempts": email.attempts,
            "retry_at": retry_at.isoformat() if retry_at else None,
            "refused": refused,
        },
    )


def _fail_all(batch, unsent, exc) -> None:
    """The SMTP server cannot be reached: every email left fails with the same error."""
    while unsent:
        _record_failure(batch, unsent.pop(0), exc)


def _hand_back(batch, unsent) -> None:
    """After a database error: the rows not yet sent go back to PENDING with no task, for the
    task's retry or the sweep; if the database refuses even that, their lease runs out."""
    if not unsent:
        return
    if not connection.in_atomic_block:
        connection.close()
    try:
        batch.rows([email.pk for email in unsent], status=EmailStatus.SENDING).update(
            status=EmailStatus.PENDING,
            claim=None,
            claimed_until=None,
            queued_at=None,
            attempts=F("attempts") - 1,
        )
    except DATABASE_ERRORS:
        logger.warning(
            "emails left SENDING after a database error: swept once their lease runs out",
            extra={"emails": len(unsent)},
        )
    unsent.clear()
