from django import template

from events.selectors import events_waiting_for_review

register = template.Library()


@register.simple_tag(takes_context=True)
def events_waiting_for_my_review(context) -> int:
    """How many PENDING events the signed-in manager or admin may review (one COUNT query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return events_waiting_for_review(user=user)
