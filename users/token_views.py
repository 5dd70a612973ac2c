"""Sessions and passwords without a profile: refresh, logout, password reset,
a new verification email. Public ones are throttled per client address."""

import time

from django.conf import settings
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import APIView, PublicAPIView
from core.concurrency import call, offload

from . import account_docs as docs
from .account_serializers import EmailSerializer, PasswordResetConfirmSerializer, RefreshSerializer
from .services import (
    password_reset_confirm,
    password_reset_request,
    session_logout,
    session_logout_all,
    session_refresh,
    verification_resend,
)

ACCEPTED = {"message": "If an account uses this address, an email is on its way."}


class TokenRefreshView(PublicAPIView):
    @docs.token_refresh
    async def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = await call(session_refresh, raw_token=serializer.validated_data["refresh_token"])
        return Response(pair)


class LogoutView(PublicAPIView):
    @docs.logout
    async def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        await call(session_logout, raw_token=serializer.validated_data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    permission_classes = [IsAuthenticated]

    @docs.logout_all
    async def post(self, request):
        await call(session_logout_all, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


async def _answer_no_sooner(started: float) -> None:
    """Hold the answer until ACCOUNT_LOOKUP_MIN_SECONDS have passed, so its timing does
    not tell a registered address from an unknown one."""
    remaining = settings.ACCOUNT_LOOKUP_MIN_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        await offload(time.sleep, remaining)


class _SilentEmailView(PublicAPIView):
    """Always 202 with the same body, in (at least) the same time."""

    service = None

    async def post(self, request):
        started = time.monotonic()
        serializer = EmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        await call(type(self).service, email=serializer.validated_data["email"])
        await _answer_no_sooner(started)
        return Response(ACCEPTED, status=status.HTTP_202_ACCEPTED)


class PasswordResetView(_SilentEmailView):
    service = staticmethod(password_reset_request)

    @docs.password_reset
    async def post(self, request):
        return await super().post(request)


class VerificationResendView(_SilentEmailView):
    service = staticmethod(verification_resend)

    @docs.verification_resend
    async def post(self, request):
        return await super().post(request)


class PasswordResetConfirmAPIView(PublicAPIView):
    @docs.password_reset_confirm
    async def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        await offload(password_reset_confirm, **serializer.validated_data)
        return Response({"message": "Password changed. Every session was logged out: log in again."})
