"""A member's own things: their registrations and calendar feed, their notifications.

Times are shown in the member's time zone (`User.time_zone`), activated for the render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.timezones import zone
from events import selectors as event_selectors
from events import services as event_services
from events.models import RegistrationStatus
from notifications import services as notification_services
from notifications.models import Notification
from notifications.selectors import notification_list

from ..selectors import calendar_feed as calendar_feed_state
from ..selectors import page_link
from .events import partial_refusal, viewer_zone_name

LOGIN = "portal:login"
PAGE_SIZE = 20
UPCOMING_SHOWN = 100
FEED_URL_KEY = "portal_calendar_feed_url"


def _render(request, template, context, status=200):
    with timezone.override(zone(viewer_zone_name(request.user))):
        return render(request, template, {"zone_name": viewer_zone_name(request.user), **context}, status=status)


# --- my events -------------------------------------------------------------------------------


def _my_events(request, page_number=None) -> dict:
    now = timezone.now()
    registrations = event_selectors.user_registrations(user=request.user)
    upcoming = (
        registrations.filter(event__ends_at__gte=now)
        .exclude(status=RegistrationStatus.CANCELLED)
        .order_by("event__starts_at", "created_at", "id")
    )
    return {
        "nav": "my-events",
        "upcoming": list(upcoming[:UPCOMING_SHOWN]),
        "past": Paginator(registrations.filter(event__ends_at__lt=now), PAGE_SIZE).get_page(page_number),
        "feed": calendar_feed_state(user=request.user),
    }


@require_GET
@login_required(login_url=LOGIN)
def my_events(request):
    """Upcoming registrations (seats and waiting-list places), then past ones, 20 a page,
    and the personal calendar feed."""
    context = {**_my_events(request, request.GET.get("page")), "feed_url": request.session.pop(FEED_URL_KEY, None)}
    return _render(request, "portal/me/my_events.html", context)


@require_POST
@login_required(login_url=LOGIN)
def calendar_feed(request):
    """Make (or reset: the old address stops working) or turn off the calendar-feed URL.
    The address is shown once: in the panel (htmx) or on the next page (kept in the
    session for that one view)."""
    action = request.POST.get("action")
    if action not in ("create", "revoke"):
        error = {"feed_error": "Choose to make a new address or to turn the feed off."}
        if request.htmx:
            context = {"feed": calendar_feed_state(user=request.user), **error}
            return partial_refusal(_render(request, "portal/me/_feed.html", context, 400))
        return _render(request, "portal/me/my_events.html", {**_my_events(request), **error}, 400)
    feed_url, note = None, "Your calendar feed is off: the old address no longer works."
    if action == "create":
        token = event_services.calendar_token_create(user=request.user)
        feed_url = request.build_absolute_uri(f"{reverse('calendar-feed')}?token={token}")
        note = "Your calendar feed address is ready: copy it into your calendar app. It is shown only this once."
    else:
        event_services.calendar_token_revoke(user=request.user)
    if request.htmx:
        context = {"feed": calendar_feed_state(user=request.user), "feed_url": feed_url, "feed_note": note}
        return _render(request, "portal/me/_feed.html", context)
    if feed_url:
        request.session[FEED_URL_KEY] = feed_url
    messages.success(request, note)
    return redirect(f"{reverse('portal:my-events')}#calendar-feed")


# --- notifications ---------------------------------------------------------------------------


def _inbox(request, number):
    page = Paginator(notification_list(recipient=request.user), PAGE_SIZE).get_page(number)
    for notification in page:
        notification.page_link = page_link(notification.link)
    return {"nav": "notifications", "page": page}


@require_GET
@login_required(login_url=LOGIN)
def notifications(request):
    """The inbox: unread first, then newest, 20 a page."""
    return _render(request, "portal/me/notifications.html", _inbox(request, request.GET.get("page")))


def _back_to_inbox(request):
    page = request.POST.get("page")
    url = reverse("portal:notifications")
    return redirect(f"{url}?page={int(page)}" if page and page.isdigit() else url)


@require_POST
@login_required(login_url=LOGIN)
def notification_read(request, notification_id):
    """Mark one of the member's notifications read (anyone else's: 404)."""
    try:
        notification = notification_services.notification_mark_read(
            recipient=request.user, notification_id=notification_id
        )
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    if request.htmx:
        notification.page_link = page_link(notification.link)
        context = {
            "nav": "notifications",
            "notification": notification,
            "oob_unread": True,
            "page_number": request.POST.get("page", ""),
        }
        return _render(request, "portal/me/_notification.html", context)
    messages.success(request, f"Marked “{notification.title}” as read.")
    return _back_to_inbox(request)


@require_POST
@login_required(login_url=LOGIN)
def notifications_read_all(request):
    """Mark every unread notification of the member read."""
    marked = notification_services.notification_mark_all_read(recipient=request.user)
    text = f"Marked {marked} notification{'s' if marked != 1 else ''} as read." if marked else "Nothing was unread."
    if request.htmx:
        context = {**_inbox(request, request.POST.get("page")), "announce": text, "oob_unread": True}
        return _render(request, "portal/me/_inbox.html", context)
    messages.success(request, text)
    return _back_to_inbox(request)
