"""OpenAPI descriptions of the caller's own account: /users/me, password, logout everywhere."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from core.docs import error_response

from ..serializers.account import (
    AccountCloseSerializer,
    AccountSerializer,
    AccountUpdateSerializer,
    PasswordChangeSerializer,
)
from .common import BODY_ERRORS, PASSWORD_CHANGED, UNAUTHORIZED, USER_EXAMPLE, message

ACCOUNT_TAG = "My Account (any logged-in user)"

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
_ACCOUNT_ERRORS = {401: UNAUTHORIZED}


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
            **BODY_ERRORS,
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
        **BODY_ERRORS,
    },
    examples=[OpenApiExample("Password", value={"password": "Secure*1234"}, request_only=True)],
)
me_password = extend_schema(
    tags=[ACCOUNT_TAG],
    summary="Change my password",
    description="The current password and a new one (same rules as registration). Every session ends: log in again.",
    request=PasswordChangeSerializer,
    responses={
        200: message("Changed", PASSWORD_CHANGED),
        400: error_response(
            "Wrong current password or weak new one",
            "old_password: The current password is not correct.",
            old_password=["The current password is not correct."],
        ),
        **_ACCOUNT_ERRORS,
        **BODY_ERRORS,
    },
    examples=[
        OpenApiExample(
            "Change", value={"old_password": "Secure*1234", "new_password": "Even*Better5678"}, request_only=True
        )
    ],
)
logout_all = extend_schema(
    tags=[ACCOUNT_TAG],
    summary="Log out everywhere",
    description="Every refresh token and every live access token of the caller stops working at once.",
    request=None,
    responses={204: OpenApiResponse(description="Every session ended"), **_ACCOUNT_ERRORS},
)
