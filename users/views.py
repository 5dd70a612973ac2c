"""The user API, on the project's async view pattern (`event_manager.api`):
handlers are coroutines that reach the services through `call` (database) and
`offload` (anything that hashes a password)."""

import uuid

from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from event_manager.api import APIView, GenericViewSet
from event_manager.concurrency import call, offload
from event_manager.parsers import FormParser, JSONParser, MultiPartParser

from . import docs
from .authentication import access_token_for
from .models import User
from .pagination import SkipLimitPagination
from .permissions import CanManageTarget, IsAdminOrManager, RoleChangeRequiresAdmin
from .selectors import user_count
from .serializers import (
    LoginSerializer,
    RegisterSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from .services import (
    AccountLocked,
    InvalidCredentials,
    InvalidVerificationToken,
    user_create,
    user_delete,
    user_login,
    user_register,
    user_update,
    user_verify_email,
)
from .throttling import AuthRateThrottle, ThrottleUnauthenticatedWritesMixin


class PublicAPIView(APIView):
    """Anyone may call it; throttled per client address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]


class RegisterView(PublicAPIView):
    @docs.register
    async def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = await offload(user_register, **serializer.validated_data)
        return Response(UserSerializer(user, context={"request": request}).data, status=status.HTTP_201_CREATED)


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
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"message": "Email verified successfully"})


class LoginView(PublicAPIView):
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    @docs.login
    async def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = await offload(
                user_login, email=serializer.validated_data["username"], password=serializer.validated_data["password"]
            )
        except InvalidCredentials as exc:
            return Response(
                {"detail": exc.message},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Bearer"},
            )
        except AccountLocked as exc:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        token = access_token_for(user)
        return Response(
            TokenSerializer(
                {
                    "access_token": str(token),
                    "token_type": "bearer",
                    "expires_in": int(token.lifetime.total_seconds()),
                }
            ).data
        )


@extend_schema_view(**docs.user_viewset)
class UserViewSet(ThrottleUnauthenticatedWritesMixin, GenericViewSet):
    """User management for ADMIN and MANAGER roles."""

    queryset = User.objects.defer("password").order_by("created_at", "id")
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, IsAdminOrManager, RoleChangeRequiresAdmin, CanManageTarget]
    pagination_class = SkipLimitPagination

    def count_rows(self, queryset):
        return user_count(queryset)

    async def list(self, request):
        page = await call(self.paginate_queryset, self.get_queryset())
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
