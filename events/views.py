"""The events API, on the project's async view pattern (`core.api`):
handlers are coroutines that reach services and selectors only through `call`.

Each handler makes one hop: a small synchronous function below runs the
service and reads back the annotated row the response needs, so a request
costs a fixed number of queries whatever the page size.

A change that committed is answered as a success, whatever happens to the
database connection afterwards (see the README's fault policy): an event's
state changes read the event back inside their own transaction, so nothing is
read after the COMMIT; a new event, a registration and a check-in are read back
after it through `core.db.read_back` (a fresh connection, else the row as written),
which keeps the event's lock as short as before.
"""

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from core.api import APIView, GenericViewSet
from core.concurrency import call
from core.db import read_back
from core.pagination import SkipLimitPagination, SkipLimitParams
from core.renderers import ORJSONRenderer
from core.throttling import AuthRateThrottle, ThrottleUnauthenticatedWritesMixin

from . import docs, selectors, services
from .calendar import CONTENT_TYPE, event_filename, event_ics, feed_ics
from .exports import attendees_csv
from .models import Event, RegistrationStatus
from .rules import can_edit, can_see_online_url
from .serializers import (
    ApproveSerializer,
    CancelSerializer,
    EventFilterSerializer,
    EventInputSerializer,
    EventSerializer,
    EventUpdateSerializer,
    FeedbackSerializer,
    MyRegistrationItemSerializer,
    RegistrationSerializer,
)


class ICalendarRenderer(BaseRenderer):
    """Lets `Accept: text/calendar` through content negotiation; errors stay JSON."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else ORJSONRenderer().render(data)


class CSVRenderer(ICalendarRenderer):
    media_type = "text/csv"
    format = "csv"


def _event_or_404(user, event_id) -> Event:
    event = selectors.event_get(user=user, event_id=event_id)
    if event is None:
        raise services.EventNotFound()
    return event


FILTERS = ("kind", "status", "q", "mine", "from", "to")


def _filters(query_params) -> dict:
    """The list's validated filters; none given is no filter (without building the
    serializer, 0.25 ms of the plain list's CPU)."""
    if not any(name in query_params for name in FILTERS):
        return {}
    params = EventFilterSerializer(data=query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _events_page(paginator, request, filters) -> list[Event]:
    """The list's page and total: one query whatever the page size (two past the end)."""
    params = SkipLimitParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    paginator.request = request
    paginator.skip = params.validated_data["skip"]
    paginator.limit = min(params.validated_data["limit"], settings.USERS_PAGE_MAX_LIMIT)
    paginator.total, page = selectors.event_page(
        user=request.user, filters=filters, skip=paginator.skip, limit=paginator.limit
    )
    return page


def _then_read(service, user, event_id, **kwargs) -> Event:
    """Run a state change and read the event back as the caller sees it, in the change's
    transaction (the event row still locked): the answer is what commits, and no query
    runs after the COMMIT that could turn a done change into a 503."""
    with transaction.atomic():
        event = service(actor=user, event_id=event_id, **kwargs)
        return _event_or_404(user, event.pk)


def _create(user, data) -> Event:
    event = services.event_create(actor=user, **data)
    return read_back(_event_or_404, user, event.pk, written=lambda: event)


def _registration_out(user, event_id, registration):
    """The registration with its rank, read back after its change committed (the row as
    written when the database no longer answers)."""

    def read():
        row = selectors.event_registrations(event_id=event_id).filter(pk=registration.pk).first()
        return row or registration

    return read_back(read, written=lambda: registration)


def _attendees_page(view, user, event_id):
    event = _event_or_404(user, event_id)
    if not can_edit(user, event):
        raise services.NotAllowed("Only the event's creator, managers and admins may see the attendee list.")
    return view.paginate_queryset(selectors.event_registrations(event_id=event.pk))


def _attendees_csv(user, event_id) -> HttpResponse:
    event = _event_or_404(user, event_id)
    if not can_edit(user, event):
        raise services.NotAllowed("Only the event's creator, managers and admins may export attendees.")
    return attendees_csv(event)


@extend_schema_view(**docs.event_viewset)
class EventViewSet(ThrottleUnauthenticatedWritesMixin, GenericViewSet):
    """Events: members see approved ones and register; managers create, submit, review and cancel."""

    queryset = Event.objects.none()
    serializer_class = EventSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = SkipLimitPagination

    def _out(self, event, code=status.HTTP_200_OK):
        return Response(EventSerializer(event, context={"request": self.request}).data, status=code)

    async def list(self, request):
        page = await call(_events_page, self.paginator, request, _filters(request.query_params))
        return self.get_paginated_response(EventSerializer(page, many=True, context={"request": request}).data)

    async def retrieve(self, request, pk=None):
        return self._out(await call(_event_or_404, request.user, pk))

    async def create(self, request):
        serializer = EventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = await call(_create, request.user, serializer.validated_data)
        return self._out(event, status.HTTP_201_CREATED)

    async def update(self, request, pk=None):
        serializer = EventUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = await call(_then_read, services.event_update, request.user, pk, data=serializer.validated_data)
        return self._out(event)

    async def partial_update(self, request, pk=None):
        return await self.update(request, pk)

    async def destroy(self, request, pk=None):
        await call(services.event_delete, actor=request.user, event_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    async def submit(self, request, pk=None):
        return self._out(await call(_then_read, services.event_submit, request.user, pk))

    @action(detail=True, methods=["post"])
    async def approve(self, request, pk=None):
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = await call(_then_read, services.event_approve, request.user, pk, **serializer.validated_data)
        return self._out(event)

    @action(detail=True, methods=["post"])
    async def reject(self, request, pk=None):
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = await call(_then_read, services.event_reject, request.user, pk, **serializer.validated_data)
        return self._out(event)

    @action(detail=True, methods=["post"])
    async def cancel(self, request, pk=None):
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = await call(_then_read, services.event_cancel, request.user, pk, **serializer.validated_data)
        return self._out(event)

    @action(detail=True, methods=["get", "post"], serializer_class=RegistrationSerializer)
    async def registrations(self, request, pk=None):
        if request.method == "POST":
            registration = await call(self._register, request.user, pk)
            data = RegistrationSerializer(registration, context={"request": request}).data
            return Response(data, status=status.HTTP_201_CREATED)
        page = await call(_attendees_page, self, request.user, pk)
        return self.get_paginated_response(RegistrationSerializer(page, many=True, context={"request": request}).data)

    @staticmethod
    def _register(user, event_id):
        registration = services.registration_create(actor=user, event_id=event_id)
        return _registration_out(user, registration.event_id, registration)

    @action(
        detail=True, methods=["get", "delete"], url_path="registrations/me", serializer_class=RegistrationSerializer
    )
    async def my_registration(self, request, pk=None):
        if request.method == "DELETE":
            await call(services.registration_cancel, actor=request.user, event_id=pk)
            return Response(status=status.HTTP_204_NO_CONTENT)
        registration = await call(self._mine, request.user, pk)
        return Response(RegistrationSerializer(registration, context={"request": request}).data)

    @staticmethod
    def _mine(user, event_id):
        event = _event_or_404(user, event_id)
        registration = (
            selectors.event_registrations(event_id=event.pk)
            .filter(user_id=user.pk, status__in=[s for s in RegistrationStatus if s != RegistrationStatus.CANCELLED])
            .first()
        )
        if registration is None:
            raise NotFound("You are not registered for this event.")
        return registration

    @action(
        detail=True,
        methods=["post"],
        url_path=r"registrations/(?P<user_id>[0-9a-fA-F-]{36})/check-in",
        serializer_class=RegistrationSerializer,
    )
    async def check_in(self, request, pk=None, user_id=None):
        registration = await call(self._check_in, request.user, pk, user_id)
        return Response(RegistrationSerializer(registration, context={"request": request}).data)

    @staticmethod
    def _check_in(user, event_id, user_id):
        registration, _changed = services.registration_check_in(actor=user, event_id=event_id, user_id=user_id)
        return _registration_out(user, event_id, registration)

    @action(
        detail=True, methods=["get"], url_path=r"registrations\.csv", renderer_classes=[ORJSONRenderer, CSVRenderer]
    )
    async def export(self, request, pk=None):
        return await call(_attendees_csv, request.user, pk)

    @docs.event_calendar
    async def calendar(self, request, pk=None):
        """`GET /events/{id}.ics` (routed in event_manager/urls.py: the router's ids cannot hold a dot)."""
        event = await call(_event_or_404, request.user, pk)
        show = can_see_online_url(request.user, event, getattr(event, "my_registration_status", None))
        response = HttpResponse(event_ics(event, show_online_url=show), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{event_filename(event)}"'
        return response


EventCalendarView = EventViewSet.as_view({"get": "calendar"}, renderer_classes=[ORJSONRenderer, ICalendarRenderer])


# --- the caller's own: registrations, calendar feed -------------------------------


class MyRegistrationsView(APIView):
    """`GET /users/me/registrations`: the caller's registrations, newest event first."""

    permission_classes = [IsAuthenticated]
    pagination_class = SkipLimitPagination

    @docs.my_registrations
    async def get(self, request):
        paginator = self.pagination_class()
        page = await call(paginator.paginate_queryset, selectors.user_registrations(user=request.user), request, self)
        data = MyRegistrationItemSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class CalendarTokenView(APIView):
    """`POST /users/me/calendar-token` makes (or replaces) the feed URL; `DELETE` revokes it."""

    permission_classes = [IsAuthenticated]

    @docs.calendar_token_create
    async def post(self, request):
        token = await call(services.calendar_token_create, user=request.user)
        feed_url = request.build_absolute_uri(f"/users/me/events.ics?token={token}")
        return Response({"feed_url": feed_url, "created_at": timezone.now()}, status=status.HTTP_201_CREATED)

    @docs.calendar_token_revoke
    async def delete(self, request):
        await call(services.calendar_token_revoke, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedRateThrottle(AuthRateThrottle):
    """Per client address on the token-authenticated feed (EVENTS_FEED_THROTTLE_RATE)."""

    scope = "calendar_feed"

    def get_rate(self):
        rate = settings.EVENTS_FEED_THROTTLE_RATE
        return None if not rate or str(rate).lower() == "none" else rate


def _feed(token):
    user = services.calendar_token_user(token)
    if user is None:
        return None
    return feed_ics(list(selectors.feed_events(user=user)), name="My events")


class CalendarFeedView(APIView):
    """`GET /users/me/events.ics?token=...`: read by calendar apps, which cannot send a JWT;
    the secret token in the URL is the credential. Unknown or revoked token: 404."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [FeedRateThrottle]
    renderer_classes = [ORJSONRenderer, ICalendarRenderer]

    @docs.calendar_feed
    async def get(self, request):
        content = await call(_feed, request.query_params.get("token", ""))
        if content is None:
            raise NotFound("Unknown or revoked calendar feed token.")
        response = HttpResponse(content, content_type=CONTENT_TYPE)
        response["Cache-Control"] = "private, max-age=300"
        return response
