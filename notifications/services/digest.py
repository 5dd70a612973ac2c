"""The daily digest: every HELD email of a recipient gathered into one."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from ..messages import DIGEST_KIND
from ..models import EmailStatus, OutgoingEmail
from .notify import create_once
from .outbox import enqueue_emails


def digest_send(*, now=None) -> int:
    """Gather every HELD email into one digest per recipient; return how many digests were made.

    One digest per recipient per UTC day (its dedupe key holds the date), so
    running this twice a day mails nothing twice; items held after today's
    digest wait for tomorrow's.
    """
    now = now or timezone.now()
    user_ids = (
        OutgoingEmail.objects.filter(status=EmailStatus.HELD, created_at__lte=now)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    made = 0
    for user_id in list(user_ids):
        made += _digest_one(user_id=user_id, now=now)
    return made


@transaction.atomic
def _digest_one(*, user_id, now) -> int:
    held = list(
        OutgoingEmail.objects.select_for_update()
        .filter(user_id=user_id, status=EmailStatus.HELD, created_at__lte=now)
        .select_related("user")
    )
    if not held:
        return 0
    recipient = held[0].user
    digest = create_once(
        OutgoingEmail,
        user=recipient,
        to_address=recipient.email,
        kind=DIGEST_KIND,
        context={"items": len(held)},
        dedupe_key=f"{DIGEST_KIND}:{user_id}:{now.date().isoformat()}",
    )
    if digest is None:
        return 0
    OutgoingEmail.objects.filter(pk__in=[email.pk for email in held]).update(status=EmailStatus.DIGESTED, digest=digest)
    transaction.on_commit(partial(enqueue_emails, [digest.pk]))
    return 1
