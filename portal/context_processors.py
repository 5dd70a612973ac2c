"""What every member page's header needs: the unread count, read lazily (one query, and
only when a page shows it — the admin's templates never do)."""

from functools import cache

from notifications.selectors import notification_unread_count


def portal(request):
    user = getattr(request, "user", None)

    @cache
    def unread_count():
        if user is None or not user.is_authenticated:
            return 0
        return notification_unread_count(recipient=user)

    return {"portal_unread_count": unread_count}
