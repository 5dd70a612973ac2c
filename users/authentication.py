import uuid

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from .lookups import users_by_pk

_SCHEME = b"bearer"
# The user's token_version when the token was made (users.services.sessions): a lower one is revoked.
VERSION_CLAIM = "ver"
# How the session was made (RFC 8176): ["pwd"], or ["pwd", "otp"] with a second factor.
AMR_CLAIM = "amr"


class JWTAuthentication(BaseJWTAuthentication):
    """Bearer JWT; the user is loaded on every request by one primary-key query
    (without the password hash, a statement compiled once: `users.lookups`), so a
    role change, lock or deletion applies to the very next request. A view that
    reads a user named in its URL gets that row from the same query.

    The scheme is case-insensitive (RFC 7235: `bearer`, as `token_type` says,
    works), and a correctly signed token whose `sub` is not a user id is a 401.
    """

    request = None

    def authenticate(self, request):
        self.request = request  # an instance serves one request (DRF makes one per request)
        return super().authenticate(request)

    def _users_in_url(self) -> list:
        """The user the view will read by the URL (its `users_in_url`: {action: URL kwarg}),
        loaded in the same query as the token's user: one round trip for GET /users/{id}."""
        view = (self.request.parser_context or {}).get("view") if self.request is not None else None
        kwarg = getattr(view, "users_in_url", {}).get(getattr(view, "action", None))
        if kwarg is None:
            return []
        try:
            return [uuid.UUID(str(view.kwargs[kwarg]))]
        except (KeyError, ValueError):
            return []

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
        wanted = [user_id, *self._users_in_url()]
        users = users_by_pk(wanted)
        if self.request is not None:  # each id read, None for one that is no user
            self.request.prefetched_users = {pk: users.get(pk) for pk in wanted}
        user = users.get(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
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
