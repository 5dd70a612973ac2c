"""What a staff member's admin session remembers about its own age.

- `AdminIdleTimeoutMiddleware`: an admin session of a staff member ends after
  ADMIN_SESSION_IDLE_MINUTES without a request to /admin/ (API tokens are not sessions
  and are never touched);
- `last_check` / `mark_checked` / `is_recent`: when the password (and code) were last
  proved in this session, which sudo mode (`users.admin.sudo`) compares with
  ADMIN_REAUTH_MINUTES. Logging in is a check (`on_login`, connected in `UsersConfig`).

Both are timestamps (seconds since the epoch) in the session, so a test moves them
back instead of sleeping.
"""

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from core.bearer import is_token_request

from .devices import set_device_cookie

ACTIVITY_KEY = "staff_last_activity"
CHECKED_KEY = "staff_last_check"
# The activity stamp is rewritten at most this often: one session write a minute,
# not one per request; the idle limit is then exact to the minute.
ACTIVITY_RESOLUTION_SECONDS = 60


def mark_checked(request) -> None:
    """The password (and code, when the user has a factor) were proved just now."""
    now = int(time.time())
    request.session[CHECKED_KEY] = now
    request.session[ACTIVITY_KEY] = now


def is_recent(request) -> bool:
    """True when the last check is younger than ADMIN_REAUTH_MINUTES."""
    checked = request.session.get(CHECKED_KEY)
    return checked is not None and time.time() - checked < settings.ADMIN_REAUTH_MINUTES * 60


def on_login(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: a login proves the password."""
    if request is not None and hasattr(request, "session"):
        mark_checked(request)


class AdminIdleTimeoutMiddleware:
    """Ends an idle admin session of a staff member and sends them to the admin login,
    which returns them where they were. Only requests under /admin/ look at the session
    (elsewhere nothing is loaded); a member's session and every API token are left alone.
    It also sets the device cookie an admin sign-in from a new browser made (`users.devices`)."""

    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if not self._watched(request):
            return self.get_response(request)
        response = self._check(request) or self.get_response(request)
        set_device_cookie(request, response)
        return response

    async def __acall__(self, request):
        if not self._watched(request):
            return await self.get_response(request)
        # Loading the session and the user is database work: one hop, for admin pages only.
        response = await sync_to_async(self._check)(request) or await self.get_response(request)
        set_device_cookie(request, response)
        return response

    @staticmethod
    def _watched(request) -> bool:
        return not is_token_request(request) and request.path.startswith(reverse("admin:index"))

    def _check(self, request):
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        now = int(time.time())
        last = request.session.get(ACTIVITY_KEY)
        idle_minutes = settings.ADMIN_SESSION_IDLE_MINUTES
        if last is not None and now - last > idle_minutes * 60:
            logout(request)
            messages.info(
                request, f"You were logged out after {idle_minutes} minutes without activity. Please log in again."
            )
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
            request.session[ACTIVITY_KEY] = now
        return None
