"""OpenAPI descriptions of the user endpoints: summaries, errors, examples."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from core.docs import error_response
from core.serializers import MessageSerializer

from .serializers import (
    LoginSerializer,
    RegisterSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)

AUTH_TAG = "Login and Registration"
USERS_TAG = "User Management Requires (Admin or Manager Roles)"

USER_EXAMPLE = {
    "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "email": "john.doe@example.com",
    "nickname": "clever_fox_123",
    "first_name": "John",
    "last_name": "Doe",
    "bio": "Backend engineer who likes Django.",
    "profile_picture_url": "https://example.com/p/john.jpg",
    "linkedin_profile_url": "https://linkedin.com/in/johndoe",
    "github_profile_url": "https://github.com/johndoe",
    "role": "AUTHENTICATED",
    "is_professional": False,
    "email_verified": True,
    "is_locked": False,
    "last_login_at": None,
    "created_at": "2026-11-21T10:00:00Z",
    "updated_at": "2026-11-21T10:00:00Z",
    "links": [
        {
            "rel": "self",
            "href": "http://localhost:8000/users/3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "method": "GET",
            "action": "view",
        },
        {
            "rel": "update",
            "href": "http://localhost:8000/users/3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "method": "PUT",
            "action": "update",
        },
        {
            "rel": "delete",
            "href": "http://localhost:8000/users/3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "method": "DELETE",
            "action": "delete",
        },
    ],
}

NEW_USER_INPUT = {
    "email": "john.doe@example.com",
    "password": "Secure*1234",
    "nickname": "john_doe",
    "first_name": "John",
    "last_name": "Doe",
    "bio": "Backend engineer who likes Django.",
    "profile_picture_url": "https://example.com/p/john.jpg",
    "linkedin_profile_url": "https://linkedin.com/in/johndoe",
    "github_profile_url": "https://github.com/johndoe",
}


class PageParamsErrorSerializer(serializers.Serializer):
    """A bad `skip` or `limit`: `detail` sums up, each bad parameter is a key with its messages."""

    detail = serializers.CharField()
    skip = serializers.ListField(child=serializers.CharField(), required=False)
    limit = serializers.ListField(child=serializers.CharField(), required=False)


VALIDATION_ERROR = error_response(
    "Validation error (each offending field is named)",
    "email: Email already exists. password: Password must contain a digit.",
    email=["Email already exists."],
    password=["Password must contain a digit."],
)
UNAUTHORIZED = error_response("Missing, invalid or expired token", "Authentication credentials were not provided.")
FORBIDDEN = error_response("Role not allowed", "Only admins and managers may do this.")
NOT_FOUND = error_response("No such user, or the id is not a UUID", "No User matches the given query.")
THROTTLED = error_response("Too many requests from this address (see Retry-After)", "Request was throttled.")
# Writes with no valid token count against the same per-address budget as logins.
UNAUTHENTICATED_WRITE_THROTTLED = error_response(
    "Too many writes without a valid token from this address (see Retry-After)", "Request was throttled."
)
TOO_LARGE = error_response(
    "Body longer than DATA_UPLOAD_MAX_MEMORY_SIZE (1 MiB by default)", "Request body too large: at most 1048576 bytes."
)
UNSUPPORTED_MEDIA_TYPE = error_response("Body is not JSON", 'Unsupported media type "text/plain" in request.')
PAGE_PARAMS_ERROR = error_response(
    "`skip` below 0, `limit` below 1, or either not an integer (each bad parameter is named)",
    "skip: Ensure this value is greater than or equal to 0.",
    PageParamsErrorSerializer,
    skip=["Ensure this value is greater than or equal to 0."],
)
_BODY_ERRORS = {413: TOO_LARGE, 415: UNSUPPORTED_MEDIA_TYPE}
USER_RESPONSE_EXAMPLE = OpenApiExample("A user", value=USER_EXAMPLE, response_only=True)

register = extend_schema(
    tags=[AUTH_TAG],
    summary="Register a new account",
    description="Creates an ANONYMOUS user and emails a verification link. Log in after verifying.",
    request=RegisterSerializer,
    responses={201: UserSerializer, 400: VALIDATION_ERROR, **_BODY_ERRORS, 429: THROTTLED},
    examples=[OpenApiExample("New member", value=NEW_USER_INPUT, request_only=True), USER_RESPONSE_EXAMPLE],
)

verify_email = extend_schema(
    tags=[AUTH_TAG],
    summary="Verify an email address",
    description="Opens the link from the verification email; the account becomes AUTHENTICATED. Single use.",
    responses={
        200: OpenApiResponse(
            MessageSerializer,
            examples=[OpenApiExample("Verified", value={"message": "Email verified successfully"})],
        ),
        400: error_response("Wrong, expired or already used link", "Invalid or expired verification link."),
        404: error_response("The user id is not a UUID", "Not found."),
        429: THROTTLED,
    },
)

login = extend_schema(
    tags=[AUTH_TAG],
    summary="Log in (OAuth2 password flow)",
    description=(
        "Send `username` (the email) and `password` as `application/x-www-form-urlencoded` "
        "(or JSON with the same keys). Returns a bearer access token whose payload carries "
        "`sub` (user id), `role` and `exp`. After MAX_LOGIN_ATTEMPTS consecutive wrong "
        "passwords the account is locked."
    ),
    request={
        "application/x-www-form-urlencoded": LoginSerializer,
        "application/json": LoginSerializer,
    },
    responses={
        200: OpenApiResponse(
            TokenSerializer,
            examples=[
                OpenApiExample(
                    "Token",
                    value={"access_token": "eyJhbGciOiJIUzI1NiIs...", "token_type": "bearer", "expires_in": 900},
                )
            ],
        ),
        400: error_response(
            "Account locked (or a required field missing)", "Account locked due to too many failed login attempts."
        ),
        401: error_response("Unknown email, wrong password or unverified email", "Incorrect email or password."),
        413: TOO_LARGE,
        415: error_response("Body neither a form nor JSON", 'Unsupported media type "text/plain" in request.'),
        429: THROTTLED,
    },
    examples=[
        OpenApiExample(
            "Credentials", value={"username": "john.doe@example.com", "password": "Secure*1234"}, request_only=True
        )
    ],
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
        responses={201: UserSerializer, 400: VALIDATION_ERROR, **_STAFF_WRITE_ERRORS, **_BODY_ERRORS},
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
        responses={200: UserSerializer, 400: VALIDATION_ERROR, **_STAFF_WRITE_ERRORS, 404: NOT_FOUND, **_BODY_ERRORS},
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
        responses={200: UserSerializer, 400: VALIDATION_ERROR, **_STAFF_WRITE_ERRORS, 404: NOT_FOUND, **_BODY_ERRORS},
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


class UserUpdateSchema(OpenApiSerializerExtension):
    """PUT and PATCH bodies need at least one field (`{}` is a 400)."""

    target_class = "users.serializers.UserUpdateSerializer"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "minProperties": 1}


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """One way in, as the earlier service had: the OAuth2 password flow against /login/,
    whose token goes in `Authorization: Bearer <access_token>`. (A second, pasted-token
    scheme made Swagger UI's Authorize dialog offer a button that failed with a console
    error.)"""

    target_class = "users.authentication.JWTAuthentication"
    name = "OAuth2PasswordBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": (
                "Log in with your email as `username`; the access token is then sent as "
                "`Authorization: Bearer <access_token>`."
            ),
            "flows": {"password": {"tokenUrl": "/login/", "scopes": {}}},
        }
