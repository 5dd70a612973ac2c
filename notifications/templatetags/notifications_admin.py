from django import template

from notifications.selectors import outbox_attention as outbox_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def outbox_attention(context):
    """The outbox counts for the admin home's banner, for staff who may view the outbox (else None)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("notifications.view_outgoingemail"):
        return None
    return outbox_counts()
