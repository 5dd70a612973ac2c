"""What every member page's header needs, each read only when a page shows it (the admin's
templates never do): the unread count (one query) and the header's links."""

from functools import cache, lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from notifications.selectors import notification_unread_count

# The header's links (base.html), as `portal_urls.<name>` with `-` written `_`.
NAV = ("home", "events", "my-events", "people", "notifications", "account", "logout", "login", "signup")


def portal(request):
    user = getattr(request, "user", None)

    @cache
    def unread_count():
        if user is None or not user.is_authenticated:
            return 0
        return notification_unread_count(recipient=user)

    return {"portal_unread_count": unread_count, "portal_urls": nav_urls}


def nav_urls() -> dict[str, str]:
    """The header's links, reversed once per URLconf and script prefix (they are the same for
    every page of one): ten `{% url %}` a page were ~0.15 ms of each."""
    return _nav_urls(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@lru_cache(maxsize=16)
def _nav_urls(urlconf, prefix: str) -> dict[str, str]:
    return {name.replace("-", "_"): reverse(f"portal:{name}", urlconf=urlconf) for name in NAV}
