"""Staff managing users (ADMIN or MANAGER): /users/, /users/{id} and its actions,
and the audit trail (ADMIN only). On the project's async view pattern (`core.api`):
database work through `call`, anything that hashes a password through `offload`."""

import uuid

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from core.api import GenericViewSet
from core.concurrency import call, offload
from core.pagination import SkipLimitPagination
from core.throttling import ThrottleUnauthenticatedWritesMixin

from ..filters import UserFilter
from ..lookups import user_by_pk
from ..models import User
from ..permissions import CanManageTarget, IsAdmin, IsAdminOrManager, RoleChangeRequiresAdmin
from ..selectors import user_count
from ..services import user_create, user_delete, user_set_professional, user_unlock, user_update
from .docs import staff as docs
from .serializers.audit import AuditEventSerializer
from .serializers.staff import ProfessionalSerializer, UserCreateSerializer, UserSerializer, UserUpdateSerializer


@extend_schema_view(**docs.user_viewset)
class UserViewSet(ThrottleUnauthenticatedWritesMixin, GenericViewSet):
    """User management for ADMIN and MANAGER roles."""

    queryset = User.objects.defer("password").order_by("created_at", "id")
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, IsAdminOrManager, RoleChangeRequiresAdmin, CanManageTarget]
    pagination_class = SkipLimitPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = UserFilter

    def count_rows(self, queryset):
        return user_count(queryset)

    def filter_queryset(self, queryset):
        """The list's filters (users/filters.py) apply to the list only, not to one user's
        lookup; with none in the query string the FilterSet (and the form it validates)
        is not built at all."""
        if self.action != "list" or self.request.query_params.keys().isdisjoint(self.filterset_class.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def _page(self):
        queryset = self.get_queryset().using(settings.LIST_DATABASE)  # a read replica when there is one
        return self.paginate_queryset(self.filter_queryset(queryset))

    async def list(self, request):
        page = await call(self._page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    users_in_url = {"retrieve": "pk"}  # read with the token's user (users.authentication)

    def _target(self):
        """`get_object` for one user by id: the row the authentication read with the
        caller's, else one query by the compiled statement (`users.lookups`)."""
        try:
            pk = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError:
            raise NotFound() from None
        prefetched = getattr(self.request, "prefetched_users", None)
        user = prefetched.get(pk) if prefetched is not None and pk in prefetched else user_by_pk(pk)
        if user is None:
            raise NotFound("No User matches the given query.")  # get_object's words
        self.check_object_permissions(self.request, user)
        return user

    async def retrieve(self, request, pk=None):
        # The authentication read the target with the token's user (or found no such user):
        # nothing is left for the database, so no thread hop.
        try:
            read = uuid.UUID(str(pk)) in getattr(request, "prefetched_users", {})
        except ValueError:
            read = True  # a 404 without a query
        user = self._target() if read else await call(self._target)
        return Response(self.get_serializer(user).data)

    async def create(self, request):
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = await offload(user_create, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    async def update(self, request, pk=None):
        user = await call(self.get_object)
        serializer = UserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = await call(user_update, actor=request.user, user=user, data=serializer.validated_data)
        return Response(self.get_serializer(user).data)

    async def partial_update(self, request, pk=None):
        return await self.update(request, pk)

    async def destroy(self, request, pk=None):
        user = await call(self.get_object)
        await call(user_delete, actor=request.user, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @docs.unlock
    @action(detail=True, methods=["post"])
    async def unlock(self, request, pk=None):
        user = await call(self.get_object)
        changed = await call(user_unlock, actor=request.user, user=user)
        message = "Account unlocked; its sessions stay ended." if changed else "The account was not locked."
        return Response({"message": message, "user": self.get_serializer(user).data})

    @docs.professional
    @action(detail=True, methods=["post"])
    async def professional(self, request, pk=None):
        serializer = ProfessionalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = await call(self.get_object)
        changed = await call(user_set_professional, actor=request.user, user=user, **serializer.validated_data)
        granted = serializer.validated_data["is_professional"]
        if not changed:
            message = "Nothing changed: " + ("already professional." if granted else "not professional.")
        else:
            message = "Professional status granted; the member was notified." if granted else "Status revoked."
        return Response({"message": message, "user": self.get_serializer(user).data})

    @docs.user_audit
    @action(detail=True, methods=["get"], permission_classes=[IsAdmin], pagination_class=SkipLimitPagination)
    async def audit(self, request, pk=None):
        page = await call(self._audit_page)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)

    def _audit_page(self):
        user = self.get_object()
        events = user.audit_events.select_related("target_type").order_by("-created_at", "-id")
        return self.paginate_queryset(events)


@extend_schema_view(list=docs.audit_list)
class AuditViewSet(GenericViewSet):
    """Newest first; filters on action, actor, target, dates; skip/limit pages."""

    queryset = AuditEvent.objects.select_related("target_type").order_by("-created_at", "-id")
    serializer_class = AuditEventSerializer
    permission_classes = [IsAdmin]
    pagination_class = SkipLimitPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter

    def _page(self):
        return self.paginate_queryset(self.filter_queryset(self.get_queryset()))

    async def list(self, request):
        page = await call(self._page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
