"""The caller's own account: GET/PUT/PATCH/DELETE /users/me, POST /users/me/password,
POST /logout/all.

Any logged-in user, whatever the role. On the project's async view pattern
(`core.api`): database work through `call`, hashing through `offload`.
"""

from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import APIView
from core.concurrency import call, offload
from core.docs import BodyOnDeleteSchema

from ..services import account_change_password, account_close, account_update, session_logout_all
from .docs import account as docs
from .docs.common import PASSWORD_CHANGED
from .serializers.account import (
    AccountCloseSerializer,
    AccountSerializer,
    AccountUpdateSerializer,
    PasswordChangeSerializer,
)


class MeView(APIView):
    permission_classes = [IsAuthenticated]
    schema = BodyOnDeleteSchema()  # DELETE carries the password

    def _resource(self, request, user, **kwargs):
        return Response(AccountSerializer(user, context={"request": request}).data, **kwargs)

    @docs.me_get
    async def get(self, request):
        # The user authentication loaded: no query beyond it.
        return self._resource(request, request.user)

    @docs.me_update
    async def patch(self, request):
        serializer = AccountUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = await call(account_update, user=request.user, data=serializer.validated_data)
        return self._resource(request, user)

    @docs.me_put
    async def put(self, request):
        return await self.patch(request)

    @docs.me_close
    async def delete(self, request):
        serializer = AccountCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        await offload(account_close, user=request.user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MePasswordView(APIView):
    permission_classes = [IsAuthenticated]

    @docs.me_password
    async def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        await offload(account_change_password, user=request.user, **serializer.validated_data)
        return Response(PASSWORD_CHANGED)


class LogoutAllView(APIView):
    permission_classes = [IsAuthenticated]

    @docs.logout_all
    async def post(self, request):
        await call(session_logout_all, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
