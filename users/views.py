"""The user API, on the project's async view pattern (`core.api`):
handlers are coroutines that reach the services through `call` (database) and
`offload` (anything that hashes a password)."""

import uuid

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import GenericViewSet, PublicAPIView
from core.concurrency import call, offload
from core.pagination import SkipLimitPagination
from core.parsers import FormParser, JSONParser, MultiPartParser
from core.throttling import ThrottleUnauthenticatedWritesMixin

from . import account_docs, docs
from .account_serializers import AccountSerializer, AuditEventSerializer, ProfessionalSerializer
from .filters import UserFilter
from .models import User
from .permissions import CanManageTarget, IsAdmin, IsAdminOrManager, RoleChangeRequiresAdmin
from .selectors import user_count
from .serializers import (
    LoginSerializer,
    RegisterSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from .services import (
    InvalidVerificationToken,
    session_start,
    user_create,
    user_delete,
    user_login,
    user_register,
    user_set_professional,
    user_unlock,
    user_update,
    user_verify_email,
)


class RegisterView(PublicAPIView):
    @docs.register
    async def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = await offload(user_register, **serializer.validated_data)
        return Response(AccountSerializer(user, context={"request": request}).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(PublicAPIView):
    @docs.verify_email
    async def get(self, request, user_id, token):
        try:
            user_id = uuid.UUID(user_id)
        except ValueError:
            raise NotFound() from None
        try:
            await call(user_verify_email, user_id=user_id, token=token)
        except InvalidVerificationToken as exc:
            if not _wants_html(request):
                raise  # API clients: the exception handler's 400
            return _verification_page(exc.reason, status=status.HTTP_400_BAD_REQUEST)
        if _wants_html(request):
            return _verification_page("ok")
        return Response({"message": "Email verified successfully"})


def _wants_html(request) -> bool:
    """A browser (Accept: text/html before any JSON) gets a page; API clients keep JSON."""
    accept = request.META.get("HTTP_ACCEPT", "")
    html, json = accept.find("text/html"), accept.find("application/json")
    return html != -1 and (json == -1 or html < json)


def _verification_page(outcome: str, status: int = 200) -> HttpResponse:
    """The small styled page a verification link opens in a browser."""
    content = render_to_string(
        "users/verify_email_result.html", {"outcome": outcome, "server_base_url": settings.SERVER_BASE_URL}
    )
    return HttpResponse(content, status=status, content_type="text/html; charset=utf-8")


class LoginView(PublicAPIView):
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    @account_docs.login
    async def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = await offload(
            user_login, email=serializer.validated_data["username"], password=serializer.validated_data["password"]
        )
        return Response(await call(session_start, user=user))


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
        lookup; with none in the query string the FilterSet is not built at all (its form
        validation was a fifth of an unfiltered page's time)."""
        if self.action != "list" or self.request.query_params.keys().isdisjoint(self.filterset_class.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def _page(self):
        queryset = self.get_queryset().using(settings.LIST_DATABASE)  # a read replica when there is one
        return self.paginate_queryset(self.filter_queryset(queryset))

    async def list(self, request):
        page = await call(self._page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    async def retrieve(self, request, pk=None):
        user = await call(self.get_object)
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

    @account_docs.unlock
    @action(detail=True, methods=["post"])
    async def unlock(self, request, pk=None):
        user = await call(self.get_object)
        changed = await call(user_unlock, actor=request.user, user=user)
        message = "Account unlocked; its sessions stay ended." if changed else "The account was not locked."
        return Response({"message": message, "user": self.get_serializer(user).data})

    @account_docs.professional
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

    @account_docs.user_audit
    @action(detail=True, methods=["get"], permission_classes=[IsAdmin], pagination_class=SkipLimitPagination)
    async def audit(self, request, pk=None):
        page = await call(self._audit_page)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)

    def _audit_page(self):
        user = self.get_object()
        events = user.audit_events.select_related("target_type").order_by("-created_at", "-id")
        return self.paginate_queryset(events)
