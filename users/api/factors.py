"""The caller's own second factors through the API (issue 16): list them, set up and
remove an authenticator app, new recovery codes, remove a passkey. Registering a passkey
is a browser ceremony: the member pages and the admin do it.

Every change goes through `services.factor_change`: mfa's own service (password and code
checked, audit row, mandatory notice) run as a counted sign-in attempt, so a wrong
password or code spends the lockout budget exactly as at POST /login. Writes are
throttled per client address (AUTH_THROTTLE_RATE) as the sign-in is. On the project's
async view pattern (`core.api`): hashing through `offload`, other database work through
`call`."""

from base64 import b32encode

from django.utils.cache import add_never_cache_headers
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from core.api import APIView
from core.concurrency import call, offload
from core.docs import BodyOnDeleteSchema
from core.throttling import AuthRateThrottle, ThrottleUnauthenticatedWritesMixin
from mfa import passkeys, selectors
from mfa import services as mfa
from mfa.errors import AlreadyEnrolled
from mfa.qr import key_for_humans, qr_svg

from ..services import factor_change
from .docs import factors as docs
from .serializers.factors import (
    FactorsSerializer,
    PasswordAndCodeSerializer,
    RecoveryCodesSerializer,
    TotpConfirmSerializer,
    TotpSetupSerializer,
)


class FactorsAPIView(ThrottleUnauthenticatedWritesMixin, APIView):
    """Any signed-in user, on their own factors; writes throttled per client address (and
    a write without a valid token counts there too, as guessing tokens should cost). Every
    answer is `Cache-Control: no-store`: some carry a key or recovery codes, shown once."""

    permission_classes = [IsAuthenticated]
    schema = BodyOnDeleteSchema()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    def get_throttles(self):
        return [] if self.request.method in SAFE_METHODS else [AuthRateThrottle()]

    def proof(self, serializer_class, request):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class FactorsView(FactorsAPIView):
    @docs.factors_list
    async def get(self, request):
        factors = await call(selectors.factors_of, request.user)
        return Response(FactorsSerializer(factors).data)


def _setup(user) -> dict:
    if mfa.totp_device(user) is not None:
        raise AlreadyEnrolled()
    device = mfa.totp_pending(user=user)
    return {
        "otpauth_uri": device.config_url,
        "key": key_for_humans(b32encode(device.bin_key).decode()),
        "qr_svg": str(qr_svg(device.config_url)),
    }


class TotpView(FactorsAPIView):
    @docs.totp_setup
    async def post(self, request):
        return Response(TotpSetupSerializer(await call(_setup, request.user)).data)

    @docs.totp_remove
    async def delete(self, request):
        proof = self.proof(PasswordAndCodeSerializer, request)
        await offload(factor_change, mfa.totp_remove, user=request.user, **proof)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(FactorsAPIView):
    @docs.totp_confirm
    async def post(self, request):
        proof = self.proof(TotpConfirmSerializer, request)
        _device, codes = await offload(factor_change, mfa.totp_confirm, user=request.user, **proof)
        return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data, status=status.HTTP_201_CREATED)


class RecoveryCodesView(FactorsAPIView):
    @docs.recovery_codes
    async def post(self, request):
        proof = self.proof(PasswordAndCodeSerializer, request)
        codes = await offload(factor_change, mfa.recovery_codes_regenerate, user=request.user, **proof)
        return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data)


def _own_passkey(user, pk) -> int:
    if not any(device.pk == pk for device in passkeys.user_passkeys(user)):
        raise NotFound("You have no passkey with this id.")
    return pk


class PasskeyView(FactorsAPIView):
    @docs.passkey_remove
    async def delete(self, request, pk):
        proof = self.proof(PasswordAndCodeSerializer, request)
        device_id = await call(_own_passkey, request.user, int(pk))
        await offload(factor_change, passkeys.passkey_remove, user=request.user, device_id=device_id, **proof)
        return Response(status=status.HTTP_204_NO_CONTENT)
