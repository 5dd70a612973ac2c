"""`{% load timezones %}`: times shown in a given zone with the zone's name, for email and page
templates (`{{ event.starts_at|in_zone:recipient.time_zone }}` → "Friday 14 June 2030, 19:00
(Europe/Paris)")."""

from django import template

from core.timezones import format_in_zone

register = template.Library()


@register.filter(name="in_zone")
def in_zone_filter(moment, zone_name):
    """The moment (aware datetime or ISO text) in `zone_name` (settings.TIME_ZONE when empty), named."""
    return format_in_zone(moment, zone_name)
