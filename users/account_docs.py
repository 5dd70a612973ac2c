"""OpenAPI descriptions of the account endpoints: summaries, errors, examples."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from core.docs import error_response
from core.serializers import MessageSerializer

from .account_serializers import (
    AccountCloseSerializer,
    AccountSerializer,
    AccountUpdateSerializer,
    AuditEventSerializer,
    EmailSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    ProfessionalSerializer,
    RefreshSerializer,
    TokenPairSerializer,
)
from .docs import (
    _BODY_ERRORS,
    AUTH_TAG,
    FORBIDDEN,
    NOT_FOUND,
    PAGE_PARAMS_ERROR,
    THROTTLED,
    UNAUTHORIZED,
    USER_EXAMPLE,
    USERS_TAG,
    VALIDATION_ERROR,
)
from .serializers import LoginSerializer

ACCOUNT_TAG = "My Account (any logged-in user)"
AUDIT_TAG = "Audit trail (Admin)"

TOKEN_PAIR = {
    "access_token": "eyJhbGciOiJIUzI1NiIs...",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_token": "eyJhbGciOiJIUzI1NiIs...",
    "refresh_expires_in": 86400,
}
ME_EXAMPLE = {
    **USER_EXAMPLE,
    "resume_url": "https://example.com/cv/john.pdf",
    "pending_email": None,
    "links": [
        {"rel": "self", "href": "http://localhost:8000/users/me", "method": "GET", "action": "view"},
        {"rel": "update", "href": "http://localhost:8000/users/me", "method": "PATCH", "action": "update"},
        {"rel": "close", "href": "http://localhost:8000/users/me", "method": "DELETE", "action": "close"},
        {"rel": "logout", "href": "http://localhost:8000/logout", "method": "POST", "action": "logout"},
    ],
}
AUDIT_EXAMPLE = {
    "id": 42,
    "created_at": "2026-11-21T10:00:00Z",
    "action": "user.role_changed",
    "actor": "0b8f7c1e-2a8e-4a53-9d59-1f4c3b2a1d00",
    "actor_repr": "admin@example.com",
    "target_type": "users.user",
    "target_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "target_repr": "john.doe@example.com",
    "target_user": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "changes": {"role": ["AUTHENTICATED", "MANAGER"]},
    "note": "",
    "client_ip": "203.0.113.9",
    "request_id": "6f1c2d3e4b5a69788796a5b4c3d2e1f0",
}
PASSWORD_CHANGED = {"message": "Password changed. Every session was logged out: log in again."}
ACCEPTED = {"message": "If an account uses this address, an email is on its way."}
INVALID_REFRESH = error_response(
    "Refresh token invalid, expired, revoked or already used", "Token is invalid or expired."
)
MISSING_REFRESH = error_response(
    "No refresh_token in the body (or not a string)",
    "refresh_token: This field is required.",
    refresh_token=["This field is required."],
)
_ACCOUNT_ERRORS = {401: UNAUTHORIZED}


def _message(description, value, serializer=MessageSerializer):
    return OpenApiResponse(serializer, description=description, examples=[OpenApiExample(description, value=value)])


login = extend_schema(
    tags=[AUTH_TAG],
    summary="Log in (OAuth2 password flow)",
    description=(
        "Send `username` (the email) and `password` as `application/x-www-form-urlencoded` "
        "(or JSON with the same keys). Returns a bearer access token (payload: `sub`, `role`, `ver`, "
        "`exp`) and a single-use `refresh_token` for `POST /token/refresh`. After MAX_LOGIN_ATTEMPTS "
        "consecutive wrong passwords the account is locked; concurrent guesses never get more checks."
    ),
    request={"application/x-www-form-urlencoded": LoginSerializer, "application/json": LoginSerializer},
    responses={
        200: _message("Tokens", TOKEN_PAIR, TokenPairSerializer),
        400: error_response(
            "Account locked (or a required field missing)", "Account locked due to too many failed login attempts."
        ),
        401: error_response("Unknown email, wrong password or unverified email", "Incorrect email or password."),
        **_BODY_ERRORS,
        429: THROTTLED,
    },
    examples=[
        OpenApiExample(
            "Credentials", value={"username": "john.doe@example.com", "password": "Secure*1234"}, request_only=True
        )
    ],
)

me_get = extend_schema(
    tags=[ACCOUNT_TAG],
    summary="My account",
    description="The caller's own user resource, any role. `pending_email`: a new address not confirmed yet.",
    responses={
        200: OpenApiResponse(AccountSerializer, examples=[OpenApiExample("Me", value=ME_EXAMPLE)]),
        **_ACCOUNT_ERRORS,
    },
)


def _me_update(summary):
    return extend_schema(
        tags=[ACCOUNT_TAG],
        summary=summary,
        description=(
            "Partial: only the fields sent change (PUT behaves as PATCH). Editable: nickname, first/last name, "
            "bio, picture, LinkedIn, GitHub and résumé URLs. A new `email` is stored as pending: a confirmation "
            "link goes to it and a notice to the current address; the address changes (and every session ends) "
            "when the link is used. `role`, `is_locked`, `email_verified`, `is_professional`, counters and "
            "timestamps are refused (400)."
        ),
        request=AccountUpdateSerializer,
        responses={
            200: OpenApiResponse(AccountSerializer, examples=[OpenApiExample("Me", value=ME_EXAMPLE)]),
            400: error_response(
                "A read-only or invalid field (named)",
                "role: This field cannot be changed here.",
                role=["This field cannot be changed here."],
            ),
            **_ACCOUNT_ERRORS,
            **_BODY_ERRORS,
        },
        examples=[
            OpenApiExample(
                "New bio and résumé",
                value={"bio": "Django developer.", "resume_url": "https://example.com/cv.pdf"},
                request_only=True,
            ),
            OpenApiExample("New email address", value={"email": "john.new@example.com"}, request_only=True),
        ],
    )


me_update = _me_update("Edit my profile")
me_put = _me_update("Edit my profile (PUT, partial like PATCH)")


me_close = extend_schema(
    tags=[ACCOUNT_TAG],
    summary="Close my account",
    description=(
        "With the current password. The profile is erased and the row anonymised (events and the audit trail keep "
        "pointing at it); every session ends; a confirmation goes to the old address. The last ADMIN cannot."
    ),
    request=AccountCloseSerializer,
    responses={
        204: OpenApiResponse(description="Closed"),
        400: error_response(
            "Wrong password, or the last admin",
            "password: The password is not correct.",
            password=["The password is not correct."],
        ),
        **_ACCOUNT_ERRORS,
        **_BODY_ERRORS,
    },
    examples=[OpenApiExample("Password", value={"password": "Secure*1234"}, request_only=True)],
)
me_password = extend_schema(
    tags=[ACCOUNT_TAG],
    summary="Change my password",
    description="The current password and a new one (same rules as registration). Every session ends: log in again.",
    request=PasswordChangeSerializer,
    responses={
        200: _message("Changed", PASSWORD_CHANGED),
        400: error_response(
            "Wrong current password or weak new one",
            "old_password: The current password is not correct.",
            old_password=["The current password is not correct."],
        ),
        **_ACCOUNT_ERRORS,
        **_BODY_ERRORS,
    },
    examples=[
        OpenApiExample(
            "Change", value={"old_password": "Secure*1234", "new_password": "Even*Better5678"}, request_only=True
        )
    ],
)
token_refresh = extend_schema(
    tags=[AUTH_TAG],
    summary="Refresh the access token (rotates the refresh token)",
    description=(
        "Returns a new access token and a new refresh token; the one sent is used up. Sending a used refresh "
        "token again revokes its whole session (reuse detection): log in again."
    ),
    request=RefreshSerializer,
    responses={
        200: _message("New tokens", TOKEN_PAIR, TokenPairSerializer),
        400: MISSING_REFRESH,
        401: INVALID_REFRESH,
        **_BODY_ERRORS,
        429: THROTTLED,
    },
    examples=[OpenApiExample("Refresh", value={"refresh_token": "eyJhbGciOiJIUzI1NiIs..."}, request_only=True)],
)
logout = extend_schema(
    tags=[AUTH_TAG],
    summary="Log out (revoke this session's refresh token)",
    description="The refresh token and its session stop working; the access token expires on its own (minutes).",
    request=RefreshSerializer,
    responses={
        204: OpenApiResponse(description="Logged out"),
        400: MISSING_REFRESH,
        401: INVALID_REFRESH,
        **_BODY_ERRORS,
        429: THROTTLED,
    },
    examples=[OpenApiExample("Logout", value={"refresh_token": "eyJhbGciOiJIUzI1NiIs..."}, request_only=True)],
)
logout_all = extend_schema(
    tags=[ACCOUNT_TAG],
    summary="Log out everywhere",
    description="Every refresh token and every live access token of the caller stops working at once.",
    request=None,
    responses={204: OpenApiResponse(description="Every session ended"), **_ACCOUNT_ERRORS},
)
password_reset = extend_schema(
    tags=[AUTH_TAG],
    summary="Ask for a password reset link",
    description=(
        "Always 202 with the same body, in the same time, whether or not the address is registered. "
        "The email links to `/reset/{uid}/{token}/` (a browser page); API clients send uid and token to "
        "`POST /password-reset/confirm`. The link works once and expires after PASSWORD_RESET_TIMEOUT."
    ),
    request=EmailSerializer,
    responses={202: _message("Accepted", ACCEPTED), 400: VALIDATION_ERROR, **_BODY_ERRORS, 429: THROTTLED},
    examples=[OpenApiExample("Address", value={"email": "john.doe@example.com"}, request_only=True)],
)
password_reset_confirm = extend_schema(
    tags=[AUTH_TAG],
    summary="Set a new password from a reset link",
    description="Unlocks the account, forgets failed logins and ends every session. The link is then used up.",
    request=PasswordResetConfirmSerializer,
    responses={
        200: _message("Changed", PASSWORD_CHANGED),
        400: error_response(
            "Invalid, used or expired link, or a weak password",
            "Invalid or expired password reset link.",
            token=["Invalid or expired password reset link."],
        ),
        429: THROTTLED,
        **_BODY_ERRORS,
    },
    examples=[
        OpenApiExample(
            "Confirm",
            value={
                "uid": "M2ZhODVmNjQtNTcxNy00NTYyLWIzZmMtMmM5NjNmNjZhZmE2",
                "token": "c8x2qk-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                "new_password": "Even*Better5678",
            },
            request_only=True,
        )
    ],
)
verification_resend = extend_schema(
    tags=[AUTH_TAG],
    summary="Send the verification email again",
    description="Always 202 with the same body, in the same time, whether the address is registered or not.",
    request=EmailSerializer,
    responses={202: _message("Accepted", ACCEPTED), 400: VALIDATION_ERROR, **_BODY_ERRORS, 429: THROTTLED},
    examples=[OpenApiExample("Address", value={"email": "john.doe@example.com"}, request_only=True)],
)
_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The user's UUID.")
_STAFF = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
_ACTION_RESULT = {"message": "Account unlocked; its sessions stay ended.", "user": USER_EXAMPLE}
unlock = extend_schema(
    tags=[USERS_TAG],
    summary="Unlock an account",
    description="ADMIN or MANAGER (a manager cannot unlock an admin). Resets failed logins; sessions stay ended.",
    parameters=[_ID],
    request=None,
    responses={200: _message("Unlocked (or was not locked)", _ACTION_RESULT, None), **_STAFF},
)
professional = extend_schema(
    tags=[USERS_TAG],
    summary="Grant or revoke professional status",
    description="ADMIN or MANAGER. An upgraded member is notified (email and in-app). Audited with the note.",
    parameters=[_ID],
    request=ProfessionalSerializer,
    responses={
        200: _message(
            "Done (or nothing to change)",
            {"message": "Professional status granted; the member was notified.", "user": USER_EXAMPLE},
            None,
        ),
        400: VALIDATION_ERROR,
        **_STAFF,
        **_BODY_ERRORS,
    },
    examples=[
        OpenApiExample(
            "Upgrade",
            value={"is_professional": True, "note": "Ten years of Django; résumé checked."},
            request_only=True,
        )
    ],
)
user_audit = extend_schema(
    tags=[AUDIT_TAG],
    summary="A user's audit trail",
    description="ADMIN only. Newest first, skip/limit pages.",
    parameters=[_ID],
    responses={
        200: AuditEventSerializer(many=True),
        400: PAGE_PARAMS_ERROR,
        **_STAFF,
    },
)
audit_list = extend_schema(
    tags=[AUDIT_TAG],
    summary="The audit trail",
    description="ADMIN only. Newest first; filter on action, actor, target and dates; skip/limit pages.",
    responses={
        200: AuditEventSerializer(many=True),
        400: PAGE_PARAMS_ERROR,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
    },
)
