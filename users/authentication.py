from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.tokens import AccessToken


class JWTAuthentication(BaseJWTAuthentication):
    """Bearer JWT; the user is loaded on every request (one primary-key query),
    so a role change, lock or deletion applies to the very next request."""


def access_token_for(user) -> AccessToken:
    """An access token whose payload carries `sub` (the user id), `role` and `exp`."""
    token = AccessToken.for_user(user)
    token["role"] = user.role
    return token
