"""In-app notifications and preferences, on the project's async view pattern
(`core.api`): coroutine handlers reaching services through `call`.
The list has the users list's page shape (`core.pagination`)."""

from django.db import transaction
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import APIView, GenericViewSet
from core.concurrency import call
from core.pagination import SkipLimitPagination
from core.throttling import ThrottleUnauthenticatedWritesMixin

from . import docs
from .models import Notification
from .preferences import preference_list, preferences_update
from .selectors import notification_list, notification_unread_count
from .serializers import NotificationSerializer, PreferenceListSerializer, PreferenceUpdateSerializer
from .services import notification_mark_all_read, notification_mark_read


def _mark_all_read(recipient) -> dict:
    """Mark and count in one transaction: the answer is what commits, and no query runs after
    the COMMIT that could turn a done change into a 503 (issue 19)."""
    with transaction.atomic():
        marked = notification_mark_all_read(recipient=recipient)
        return {"marked_read": marked, "unread_count": notification_unread_count(recipient=recipient)}


class UnreadCountPagination(SkipLimitPagination):
    """The users list's page shape, plus `unread_count` (documented with an example for every field)."""

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        properties = dict(page["properties"])
        properties["unread_count"] = {"type": "integer", "example": 3}
        properties["links"] = {**properties["links"], "example": docs.PAGE_EXAMPLE["links"]}
        return {**page, "properties": properties, "required": [*page["required"], "unread_count"]}


class NotificationViewSet(ThrottleUnauthenticatedWritesMixin, GenericViewSet):
    """The caller's own notifications; anyone else's are a 404."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = UnreadCountPagination

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
        return Response(await call(_mark_all_read, request.user))


class NotificationPreferencesView(ThrottleUnauthenticatedWritesMixin, APIView):
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
