"""The reminder the day before: once per seat, however often the schedule runs."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.services import notify_many

from .. import notices
from ..models import Event, EventStatus, Registration, RegistrationStatus


def reminders_send(*, now=None) -> int:
    """Remind everyone holding a seat for an event starting within EVENTS_REMINDER_LEAD_HOURS; return how many.

    Idempotent: each registration is marked `reminded_at` in the same
    transaction that writes its notices (rows locked, skipping any another run
    holds), and the notices carry a per-event dedupe key, so running this twice,
    or on two beat schedulers at once, never reminds anyone twice.
    """
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.EVENTS_REMINDER_LEAD_HOURS)
    event_ids = (
        Registration.objects.filter(
            status=RegistrationStatus.CONFIRMED,
            reminded_at__isnull=True,
            event__status=EventStatus.APPROVED,
            event__starts_at__gt=now,
            event__starts_at__lte=horizon,
        )
        .order_by()
        .values_list("event_id", flat=True)
        .distinct()
    )
    return sum(_remind_event(event_id=event_id, now=now) for event_id in list(event_ids))


@transaction.atomic
def _remind_event(*, event_id, now) -> int:
    event = Event.objects.get(pk=event_id)
    rows = list(
        Registration.objects.select_for_update(skip_locked=True)
        .filter(event_id=event_id, status=RegistrationStatus.CONFIRMED, reminded_at__isnull=True)
        .values_list("pk", "user_id")
    )
    if not rows:
        return 0
    Registration.objects.filter(pk__in=[pk for pk, _ in rows]).update(reminded_at=now)
    return notify_many(
        recipients=[user_id for _, user_id in rows],
        kind=notices.REMINDER,
        context=notices.context_for(event, with_online_url=True),
        dedupe_key=str(event_id),
    )
