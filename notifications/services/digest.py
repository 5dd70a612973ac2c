"""The daily digest: every HELD email of a recipient gathered into one, at NOTIFICATIONS_DIGEST_TIME
(07:00) in the recipient's own time zone; and its one-click unsubscribe."""

from datetime import datetime, time
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ..messages import DIGEST_KIND
from ..models import EmailStatus, OutgoingEmail
from ..preferences import preference_list, preferences_update
from ..registry import DAILY, IMMEDIATELY, kinds
from .notify import create_once
from .outbox import enqueue_emails


def digest_time() -> time:
    """NOTIFICATIONS_DIGEST_TIME ("HH:MM", local to each recipient)."""
    return time.fromisoformat(settings.NOTIFICATIONS_DIGEST_TIME)


def recipient_zone(user) -> ZoneInfo:
    """The recipient's time zone (`User.time_zone`, an IANA name), settings.TIME_ZONE when unset or unknown."""
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (ValueError, KeyError, OSError):
        return ZoneInfo(settings.TIME_ZONE)


def local_digest_date(user, now: datetime, *, any_hour: bool = False):
    """The recipient's local date whose digest is due at `now`, or None before today's digest time."""
    local = now.astimezone(recipient_zone(user))
    if not any_hour and local.time() < digest_time():
        return None
    return local.date()


def digest_send(*, now=None, any_hour: bool = False) -> int:
    """Gather every HELD email into one digest per recipient whose digest time has come; return how many
    digests were made.

    Beat runs this every NOTIFICATIONS_DIGEST_INTERVAL seconds; a recipient's digest is made at
    the first run after NOTIFICATIONS_DIGEST_TIME in their time zone. One digest per recipient per
    local day (its dedupe key holds that date), so later runs the same day mail nothing twice and
    items held after today's digest wait for tomorrow's. `any_hour`: do not wait for the digest
    time (still once per local day).
    """
    now = now or timezone.now()
    user_ids = (
        OutgoingEmail.objects.filter(status=EmailStatus.HELD, created_at__lte=now)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    made = 0
    for user in get_user_model().objects.filter(pk__in=list(user_ids)).order_by("pk"):
        day = local_digest_date(user, now, any_hour=any_hour)
        if day is not None:
            made += _digest_one(user=user, day=day, now=now)
    return made


@transaction.atomic
def _digest_one(*, user, day, now) -> int:
    held = list(
        OutgoingEmail.objects.select_for_update().filter(user=user, status=EmailStatus.HELD, created_at__lte=now)
    )
    if not held:
        return 0
    digest = create_once(
        OutgoingEmail,
        user=user,
        to_address=user.email,
        kind=DIGEST_KIND,
        context={"items": len(held), "date": day.isoformat()},
        dedupe_key=f"{DIGEST_KIND}:{user.pk}:{day.isoformat()}",
    )
    if digest is None:
        return 0
    OutgoingEmail.objects.filter(pk__in=[email.pk for email in held]).update(status=EmailStatus.DIGESTED, digest=digest)
    transaction.on_commit(partial(enqueue_emails, [digest.pk]))
    return 1


def digest_plan(*, user) -> dict:
    """What the digest's unsubscribe would do for `user`: {"off": [...], "at_once": [...]}, the preference
    items (`preference_list`) of the kinds whose email waits for the digest, optional and mandatory."""
    items = [item for item in preference_list(user=user) if item["email"] and item["digest"] == DAILY]
    return {
        "off": [item for item in items if not item["mandatory"]],
        "at_once": [item for item in items if item["mandatory"]],
    }


@transaction.atomic
def digest_unsubscribe(*, user) -> dict:
    """The digest's one-click unsubscribe: no digest any more. Returns what it did (`digest_plan`).

    Every kind whose email waited for the digest stops being emailed (its in-app notices go on); a
    mandatory kind cannot be turned off, so its email goes out as it happens instead. What is held
    for the next digest follows: an optional kind's email is dropped (as if its email had been off
    when it was made), a mandatory one's is sent now. Nothing stays held, so no digest comes again
    until the member asks for one in their preferences.
    """
    plan = digest_plan(user=user)
    changes = [{"kind": item["kind"], "email": False} for item in plan["off"]]
    changes += [{"kind": item["kind"], "digest": IMMEDIATELY} for item in plan["at_once"]]
    if changes:
        preferences_update(user=user, changes=changes)
    held = OutgoingEmail.objects.select_for_update().filter(user=user, status=EmailStatus.HELD)
    mandatory = [kind.key for kind in kinds() if kind.mandatory]
    release = list(held.filter(kind__in=mandatory).values_list("pk", flat=True))
    if release:
        OutgoingEmail.objects.filter(pk__in=release).update(status=EmailStatus.PENDING)
        transaction.on_commit(partial(enqueue_emails, release))
    held.exclude(pk__in=release).delete()
    return plan
