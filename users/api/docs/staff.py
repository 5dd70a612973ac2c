"""OpenAPI descriptions of staff managing users (/users/…) and of the audit trail."""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

from core.docs import error_response

from ..serializers.audit import AuditEventSerializer
from ..serializers.staff import ProfessionalSerializer, UserCreateSerializer, UserSerializer, UserUpdateSerializer
from .common import (
    BODY_ERRORS,
    FORBIDDEN,
    NEW_USER_INPUT,
    NOT_FOUND,
    PAGE_PARAMS_ERROR,
    UNAUTHORIZED,
    USER_EXAMPLE,
    USER_RESPONSE_EXAMPLE,
    VALIDATION_ERROR,
    message,
)

USERS_TAG = "User Management Requires (Admin or Manager Roles)"
AUDIT_TAG = "Audit trail (Admin)"

# Writes with no valid token count against the same per-address budget as logins.
UNAUTHENTICATED_WRITE_THROTTLED = error_response(
    "Too many writes without a valid token from this address (see Retry-After)", "Request was throttled."
)

_STAFF_ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN}
_STAFF_WRITE_ERRORS = {**_STAFF_ERRORS, 429: UNAUTHENTICATED_WRITE_THROTTLED}
_ID_PARAMETER = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The user's UUID.")

user_viewset = {
    "list": extend_schema(
        tags=[USERS_TAG],
        summary="List users (paged with skip/limit)",
        responses={200: UserSerializer(many=True), 400: PAGE_PARAMS_ERROR, **_STAFF_ERRORS},
    ),
    "create": extend_schema(
        tags=[USERS_TAG],
        summary="Create a user",
        description="Same validation as registration; sends a verification email. Only an ADMIN may send `role`.",
        request=UserCreateSerializer,
        responses={201: UserSerializer, 400: VALIDATION_ERROR, **_STAFF_WRITE_ERRORS, **BODY_ERRORS},
        examples=[
            OpenApiExample("New manager", value={**NEW_USER_INPUT, "role": "MANAGER"}, request_only=True),
            USER_RESPONSE_EXAMPLE,
        ],
    ),
    "retrieve": extend_schema(
        tags=[USERS_TAG],
        summary="Get a user",
        parameters=[_ID_PARAMETER],
        responses={200: UserSerializer, **_STAFF_ERRORS, 404: NOT_FOUND},
        examples=[USER_RESPONSE_EXAMPLE],
    ),
    "update": extend_schema(
        tags=[USERS_TAG],
        summary="Update a user (partial)",
        description=(
            "Only the fields sent change; an empty body is a 400. Only an ADMIN may send `role`; "
            "a MANAGER may not edit an ADMIN."
        ),
        parameters=[_ID_PARAMETER],
        request=UserUpdateSerializer,
        responses={200: UserSerializer, 400: VALIDATION_ERROR, **_STAFF_WRITE_ERRORS, 404: NOT_FOUND, **BODY_ERRORS},
        examples=[
            OpenApiExample("New bio", value={"bio": "Now leading the platform team."}, request_only=True),
            USER_RESPONSE_EXAMPLE,
        ],
    ),
    "partial_update": extend_schema(
        tags=[USERS_TAG],
        summary="Update a user (partial, same as PUT)",
        parameters=[_ID_PARAMETER],
        request=UserUpdateSerializer,
        responses={200: UserSerializer, 400: VALIDATION_ERROR, **_STAFF_WRITE_ERRORS, 404: NOT_FOUND, **BODY_ERRORS},
    ),
    "destroy": extend_schema(
        tags=[USERS_TAG],
        summary="Delete a user",
        description="A MANAGER may not delete an ADMIN; nobody may delete their own account here.",
        parameters=[_ID_PARAMETER],
        responses={
            204: None,
            400: error_response("You cannot delete your own account", "You cannot delete your own account."),
            **_STAFF_WRITE_ERRORS,
            404: NOT_FOUND,
        },
    ),
}

_STAFF = {**_STAFF_ERRORS, 404: NOT_FOUND}
_ACTION_RESULT = {"message": "Account unlocked; its sessions stay ended.", "user": USER_EXAMPLE}
unlock = extend_schema(
    tags=[USERS_TAG],
    summary="Unlock an account",
    description="ADMIN or MANAGER (a manager cannot unlock an admin). Resets failed logins; sessions stay ended.",
    parameters=[_ID_PARAMETER],
    request=None,
    responses={200: message("Unlocked (or was not locked)", _ACTION_RESULT, None), **_STAFF},
)
professional = extend_schema(
    tags=[USERS_TAG],
    summary="Grant or revoke professional status",
    description="ADMIN or MANAGER. An upgraded member is notified (email and in-app). Audited with the note.",
    parameters=[_ID_PARAMETER],
    request=ProfessionalSerializer,
    responses={
        200: message(
            "Done (or nothing to change)",
            {"message": "Professional status granted; the member was notified.", "user": USER_EXAMPLE},
            None,
        ),
        400: VALIDATION_ERROR,
        **_STAFF,
        **BODY_ERRORS,
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
    parameters=[_ID_PARAMETER],
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
        **_STAFF_ERRORS,
    },
)


class UserUpdateSchema(OpenApiSerializerExtension):
    """PUT and PATCH bodies need at least one field (`{}` is a 400)."""

    target_class = UserUpdateSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "minProperties": 1}
