"""Sessions: access and refresh tokens, rotation with reuse detection, logout.

How revocation works (and what it costs per request):

- Every user row has a `token_version`. Access and refresh tokens carry it in
  their `ver` claim. `users.authentication.JWTAuthentication` already loads the
  user by primary key on every request, so comparing the claim with the column
  costs no extra query. Raising the version (`end_all_sessions`) kills every
  live access token and every refresh token of the user at once: logout/all, a
  password change or reset, a lock, an email change.
- A login starts a `RefreshSession` (the token family, `fam` claim). Refreshing
  rotates the refresh token: the used one is blacklisted (simplejwt's
  token_blacklist) and a new one is issued in the same family. Presenting a
  blacklisted refresh token again means it was stolen or replayed: the whole
  family is revoked (reuse detection). Logout revokes the family of the token.
"""

import uuid
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, UntypedToken

from audit.services import audit_record

from ..authentication import AMR_CLAIM, VERSION_CLAIM, access_token_for
from ..models import RefreshSession, User
from .errors import InvalidRefreshToken

FAMILY_CLAIM = "fam"


def _refresh_token_for(user: User, session: RefreshSession, amr: list[str]) -> RefreshToken:
    token = RefreshToken()
    token[api_settings.USER_ID_CLAIM] = str(user.pk)
    token[VERSION_CLAIM] = user.token_version
    token[FAMILY_CLAIM] = str(session.pk)
    token[AMR_CLAIM] = amr
    OutstandingToken.objects.create(
        user=user,
        jti=token[api_settings.JTI_CLAIM],
        token=str(token),
        created_at=token.current_time,
        expires_at=datetime.fromtimestamp(token["exp"], tz=UTC),
    )
    return token


def token_pair(access: AccessToken, refresh: RefreshToken) -> dict:
    return {
        "access_token": str(access),
        "token_type": "bearer",
        "expires_in": int(access.lifetime.total_seconds()),
        "refresh_token": str(refresh),
        "refresh_expires_in": int(refresh.lifetime.total_seconds()),
    }


@transaction.atomic
def session_start(*, user: User, amr: list[str] | None = None) -> dict:
    """After a successful login: a new session (token family) and its first token pair,
    both saying how the login was made (`amr`: ["pwd"], or ["pwd", "otp"])."""
    amr = list(amr or ["pwd"])
    session = RefreshSession.objects.create(user=user)
    return token_pair(access_token_for(user, amr), _refresh_token_for(user, session, amr))


def _decode_refresh(raw: str) -> dict:
    """The verified payload of a refresh token (signature, expiry, type); no database."""
    try:
        token = UntypedToken(raw)
    except TokenError:
        raise InvalidRefreshToken() from None
    payload = token.payload
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh":
        raise InvalidRefreshToken()
    try:
        payload["_family"] = uuid.UUID(str(payload[FAMILY_CLAIM]))
        payload["_user"] = uuid.UUID(str(payload[api_settings.USER_ID_CLAIM]))
        payload["_version"] = int(payload.get(VERSION_CLAIM, 0))
        payload["_amr"] = [str(method) for method in payload.get(AMR_CLAIM) or ["pwd"]]
        str(payload[api_settings.JTI_CLAIM])
    except (KeyError, ValueError, TypeError):
        raise InvalidRefreshToken() from None
    return payload


def _blacklist(jti: str, user_id) -> None:
    outstanding = OutstandingToken.objects.filter(jti=jti).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)


def session_refresh(*, raw_token: str) -> dict:
    """Rotate: blacklist the presented refresh token, issue a new pair in its family.

    A token already rotated out (blacklisted) revokes its whole family and fails.
    Six queries whatever the user has: the session and its user (row lock), the
    token's outstanding row, the blacklist get-or-create (2), last use, the new token.
    """
    payload = _decode_refresh(raw_token)
    jti = str(payload[api_settings.JTI_CLAIM])
    reused = False
    with transaction.atomic():
        session = (
            RefreshSession.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=payload["_family"], user_id=payload["_user"])
            .first()
        )
        if session is None or session.revoked_at is not None:
            raise InvalidRefreshToken()
        user = session.user
        if user.is_locked or user.closed_at or payload["_version"] != user.token_version:
            raise InvalidRefreshToken()
        outstanding = OutstandingToken.objects.filter(jti=jti).first()
        if outstanding is None:  # not issued here (or pruned by flushexpiredtokens)
            raise InvalidRefreshToken()
        _, spent_now = BlacklistedToken.objects.get_or_create(token=outstanding)
        if not spent_now:  # already spent: a replay
            reused = True
            _revoke(RefreshSession.objects.filter(pk=session.pk), reason="reuse")
            audit_record(actor=None, action="user.refresh_token_reused", target=user, note=f"session {session.pk}")
        else:
            RefreshSession.objects.filter(pk=session.pk).update(last_used_at=timezone.now())
            amr = payload["_amr"]  # the factors of the login carry over to every rotation
            pair = token_pair(access_token_for(user, amr), _refresh_token_for(user, session, amr))
    if reused:
        raise InvalidRefreshToken()
    return pair


def _revoke(sessions, *, reason: str) -> int:
    return sessions.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_reason=reason)


@transaction.atomic
def session_logout(*, raw_token: str) -> None:
    """Revoke the session (family) of this refresh token. An invalid token is an error;
    logging out twice is not."""
    payload = _decode_refresh(raw_token)
    _revoke(RefreshSession.objects.filter(pk=payload["_family"], user_id=payload["_user"]), reason="logout")
    _blacklist(str(payload[api_settings.JTI_CLAIM]), payload["_user"])


def end_all_sessions(user: User, *, reason: str) -> None:
    """Every access and refresh token of `user` stops working now (token_version + 1).
    Call inside the transaction of the change that requires it."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    _revoke(RefreshSession.objects.filter(user=user), reason=reason)


@transaction.atomic
def session_logout_all(*, user: User) -> None:
    end_all_sessions(user, reason="logout_all")
    audit_record(actor=user, action="user.logged_out_everywhere", target=user)


@transaction.atomic
def session_end_all_by_staff(*, actor: User, user: User) -> None:
    """Staff end every session of `user` (a stolen laptop, a leaked token)."""
    end_all_sessions(user, reason="ended_by_staff")
    audit_record(actor=actor, action="user.sessions_ended", target=user)
