"""Signing up and getting in: register, verify the email, log in, refresh, log out,
reset a password, a new verification email. Anyone may call these (throttled
per client address). On the project's async view pattern (`core.api`): database
work through `call`, anything that hashes a password through `offload`."""

import time
import uuid

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.template.loader import render_to_string
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import PublicAPIView
from core.concurrency import call, offload
from core.parsers import FormParser, JSONParser, MultiPartParser

from ..devices import api_sign_in
from ..services import (
    InvalidVerificationToken,
    password_reset_confirm,
    password_reset_request,
    session_logout,
    session_refresh,
    session_start,
    user_login,
    user_register,
    user_verify_email,
    verification_resend,
)
from .docs import auth as docs
from .docs.common import PASSWORD_CHANGED
from .serializers.account import AccountSerializer
from .serializers.auth import (
    EmailSerializer,
    LoginSerializer,
    PasswordResetConfirmSerializer,
    RefreshSerializer,
    RegisterSerializer,
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


def _sign_in(request, user) -> dict:
    """The new-device notice and the session in one transaction: both commit or neither, and
    the token pair is built from what was written, with no query after the COMMIT (issue 19:
    a dropped connection there answered 503 while the notice was on its way)."""
    with transaction.atomic():
        api_sign_in(request, user)  # a new device is told to the owner
        return session_start(user=user, amr=user.amr)


class LoginView(PublicAPIView):
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    @docs.login
    async def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = await offload(user_login, email=data["username"], password=data["password"], otp=data["otp"])
        return Response(await call(_sign_in, request, user))


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
        return Response(docs.ACCEPTED, status=status.HTTP_202_ACCEPTED)


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
        return Response(PASSWORD_CHANGED)
