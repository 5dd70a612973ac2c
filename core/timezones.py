"""Time zones: IANA names as stored on users and events, and times shown in one of them.

Stored as the zone's name (`Europe/Paris`), validated against the system's tz database
(`zoneinfo.available_timezones()`); a time is shown in a zone with the zone's name beside it,
so "19:00 (Europe/Paris)" never reads as the server's UTC.
"""

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name the system knows (read once: it walks the tz database)."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def default_time_zone() -> str:
    """The zone a user or an event has until one is given: settings.TIME_ZONE."""
    return settings.TIME_ZONE


def validate_time_zone(value) -> None:
    if not isinstance(value, str) or value not in time_zone_names():
        raise ValidationError(
            "Unknown time zone: give an IANA name such as Europe/Paris or America/New_York.", code="invalid_time_zone"
        )


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for `name`, settings.TIME_ZONE when it is empty or unknown."""
    if name and name in time_zone_names():
        return ZoneInfo(name)
    return ZoneInfo(settings.TIME_ZONE)


def in_zone(moment: datetime | str | None, name: str | None) -> datetime | None:
    """`moment` (aware, or an ISO string as notices store them) as a local time in `name`."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ZoneInfo("UTC"))
    return moment.astimezone(zone(name))


def format_in_zone(moment: datetime | str | None, name: str | None, fmt: str = "%A %d %B %Y, %H:%M") -> str:
    """`moment` written in the zone `name`, followed by the zone's name: "Friday 04 December 2026,
    19:00 (Europe/Paris)". Empty when there is no moment."""
    local = in_zone(moment, name)
    if local is None:
        return ""
    return f"{local.strftime(fmt)} ({local.tzinfo.key})"
