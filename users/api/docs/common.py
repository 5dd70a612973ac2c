"""What the user API's docs share: the example user, the error answers, a message helper."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from core.docs import error_response
from core.serializers import MessageSerializer

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
BODY_ERRORS = {413: TOO_LARGE, 415: UNSUPPORTED_MEDIA_TYPE}
USER_RESPONSE_EXAMPLE = OpenApiExample("A user", value=USER_EXAMPLE, response_only=True)
PASSWORD_CHANGED = {"message": "Password changed. Every session was logged out: log in again."}


def message(description, value, serializer=MessageSerializer):
    return OpenApiResponse(serializer, description=description, examples=[OpenApiExample(description, value=value)])
