import uuid

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from .models import User

_SCHEME = b"bearer"
# The user's token_version when the token was made (users.services.sessions): a lower one is revoked.
VERSION_CLAIM = "ver"
# How the session was made (RFC 8176): ["pwd"], or ["pwd", "otp"] with a second factor.
AMR_CLAIM = "amr"


class JWTAuthentication(BaseJWTAuthentication):
    """Bearer JWT; the user is loaded on every request by one primary-key query
    (without the password hash), so a role change, lock or deletion applies to
    the very next request.

    The scheme is case-insensitive (RFC 7235: `bearer`, as `token_type` says,
    works), and a correctly signed token whose `sub` is not a user id is a 401.
    """

    def get_raw_token(self, header):
        parts = header.split()
        if not parts or parts[0].lower() != _SCHEME:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Authorization header must contain two space-delimited values"), code="bad_authorization_header"
            )
        return parts[1]

    def get_user(self, validated_token):
        try:
            user_id = uuid.UUID(str(validated_token[api_settings.USER_ID_CLAIM]))
        except (KeyError, ValueError, TypeError, AttributeError):
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        try:
            user = User.objects.defer("password").get(pk=user_id)
        except User.DoesNotExist:
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from None
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(VERSION_CLAIM, 0) != user.token_version:
            raise AuthenticationFailed(_("Token has been revoked"), code="token_revoked")
        return user


def access_token_for(user, amr: list[str] | None = None) -> AccessToken:
    """An access token whose payload carries `sub` (the user id), `role`, `ver`, `amr` and `exp`."""
    token = AccessToken.for_user(user)
    token["role"] = user.role
    token[VERSION_CLAIM] = user.token_version
    token[AMR_CLAIM] = list(amr or ["pwd"])
    return token
