"""In-app notifications and preferences, on the project's async view pattern
(`event_manager.api`): coroutine handlers reaching services through `call`.

The page class is passed down by the project's URLs (`pagination_class=`), so
the list has the users list's page shape without importing users/.
"""

import functools

from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, NotFound
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from event_manager.api import APIView, GenericViewSet
from event_manager.concurrency import call

from . import docs
from .models import Notification
from .preferences import preference_list, preferences_update
from .selectors import notification_list, notification_unread_count
from .serializers import NotificationSerializer, PreferenceListSerializer, PreferenceUpdateSerializer
from .services import notification_mark_all_read, notification_mark_read


@functools.cache
def with_unread_count(page_class):
    """`page_class` whose documented page also has `unread_count` (and an example for every field)."""

    def get_paginated_response_schema(self, schema):
        page = page_class.get_paginated_response_schema(self, schema)
        properties = dict(page["properties"])
        properties["unread_count"] = {"type": "integer", "example": 3}
        if "links" in properties and "example" not in properties["links"]:
            properties["links"] = {**properties["links"], "example": docs.PAGE_EXAMPLE["links"]}
        return {**page, "properties": properties, "required": [*page.get("required", []), "unread_count"]}

    name = f"{page_class.__name__}WithUnreadCount"
    return type(name, (page_class,), {"get_paginated_response_schema": get_paginated_response_schema})


class ThrottleUnauthenticatedWrites:
    """A write that fails authentication counts against `unauthenticated_write_throttle`
    (the project passes its login throttle down), so guessing tokens here costs the
    same budget as guessing passwords. Authenticated requests are never counted."""

    unauthenticated_write_throttle = None

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (NotAuthenticated, AuthenticationFailed):
            if request.method not in SAFE_METHODS and self.unauthenticated_write_throttle is not None:
                throttle = self.unauthenticated_write_throttle()
                if not throttle.allow_request(request, self):
                    self.throttled(request, throttle.wait())
            raise


class NotificationViewSet(ThrottleUnauthenticatedWrites, GenericViewSet):
    """The caller's own notifications; anyone else's are a 404."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    @property
    def pagination_class(self):
        """The page class event_manager/urls.py passes down (`as_view(..., pagination_class=...)`)."""
        return getattr(self, "_page_class", None)

    @pagination_class.setter
    def pagination_class(self, page_class):
        self._page_class = None if page_class is None else with_unread_count(page_class)

    def get_queryset(self):
        return notification_list(recipient=self.request.user)

    def _page(self):
        page = self.paginate_queryset(self.get_queryset())
        return page, notification_unread_count(recipient=self.request.user)

    @docs.notification_list
    async def list(self, request):
        page, unread = await call(self._page)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["unread_count"] = unread
        return response

    @docs.notification_read
    async def read(self, request, pk=None):
        try:
            notification = await call(notification_mark_read, recipient=request.user, notification_id=int(pk))
        except (Notification.DoesNotExist, ValueError, OverflowError):
            raise NotFound() from None
        return Response(self.get_serializer(notification).data)

    @docs.notification_read_all
    async def read_all(self, request):
        marked = await call(notification_mark_all_read, recipient=request.user)
        unread = await call(notification_unread_count, recipient=request.user)
        return Response({"marked_read": marked, "unread_count": unread})


class NotificationPreferencesView(ThrottleUnauthenticatedWrites, APIView):
    """`/users/me/notification-preferences`: the caller's choice per kind."""

    permission_classes = [IsAuthenticated]

    @docs.preferences_get
    async def get(self, request):
        return Response({"preferences": await call(preference_list, user=request.user)})

    @docs.preferences_put
    async def put(self, request):
        serializer = PreferenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = await call(preferences_update, user=request.user, changes=serializer.validated_data["preferences"])
        return Response(PreferenceListSerializer({"preferences": items}).data)
