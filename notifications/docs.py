"""OpenAPI descriptions of the notification endpoints: summaries, errors, examples."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers

from core.docs import error_response

from .serializers import (
    NotificationSerializer,
    PreferenceListSerializer,
    PreferenceUpdateSerializer,
    ReadAllSerializer,
)

TAG = "Notifications"


class NotificationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class NotificationPreferencesErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    preferences = serializers.JSONField(required=False, help_text="The problems, per kind or per item.")


# This API's error bodies keep their own component names (NotificationError, NotificationPreferencesError).
UNAUTHORIZED = error_response(
    "Missing, invalid or expired token", "Authentication credentials were not provided.", NotificationErrorSerializer
)
NOT_FOUND = error_response("No such notification of yours", "Not found.", NotificationErrorSerializer)
PAGE_PARAMS_ERROR = error_response(
    "`skip` below 0, `limit` below 1, or either not an integer",
    "skip: Ensure this value is greater than or equal to 0.",
    NotificationPreferencesErrorSerializer,
)
TOO_LARGE = error_response(
    "Body longer than DATA_UPLOAD_MAX_MEMORY_SIZE",
    "Request body too large: at most 1048576 bytes.",
    NotificationErrorSerializer,
)
THROTTLED = error_response(
    "Too many writes without a valid token from this address (see Retry-After)",
    "Request was throttled.",
    NotificationErrorSerializer,
)
UNSUPPORTED_MEDIA_TYPE = error_response(
    "Body is not JSON", 'Unsupported media type "text/plain" in request.', NotificationErrorSerializer
)

NOTIFICATION_EXAMPLE = {
    "id": 42,
    "kind": "events.cancelled",
    "title": "Django meetup was cancelled",
    "body": "The venue is closed that week.",
    "link": "http://localhost:8000/events/3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "is_read": False,
    "read_at": None,
    "created_at": "2026-11-21T10:00:00Z",
}
PAGE_EXAMPLE = {
    "items": [NOTIFICATION_EXAMPLE],
    "total": 1,
    "page": 1,
    "size": 1,
    "links": [
        {"rel": "self", "href": "http://localhost:8000/notifications?skip=0&limit=10", "method": "GET"},
        {"rel": "first", "href": "http://localhost:8000/notifications?skip=0&limit=10", "method": "GET"},
        {"rel": "last", "href": "http://localhost:8000/notifications?skip=0&limit=10", "method": "GET"},
    ],
    "unread_count": 1,
}
PREFERENCES_EXAMPLE = {
    "preferences": [
        {
            "kind": "events.cancelled",
            "label": "Event cancelled",
            "description": "An event you registered for will not take place.",
            "channels": ["email", "in_app"],
            "mandatory": False,
            "urgent": True,
            "email": True,
            "in_app": True,
            "digest": None,
            "digest_choices": ["immediately"],
        },
        {
            "kind": "events.changed",
            "label": "Event changed",
            "description": "",
            "channels": ["email", "in_app"],
            "mandatory": False,
            "urgent": False,
            "email": True,
            "in_app": True,
            "digest": "daily",
            "digest_choices": ["immediately", "daily"],
        },
        {
            "kind": "users.verify_email",
            "label": "Email verification",
            "description": "The link that confirms your email address.",
            "channels": ["email"],
            "mandatory": True,
            "urgent": True,
            "email": True,
            "in_app": None,
            "digest": None,
            "digest_choices": ["immediately"],
        },
    ]
}

notification_list = extend_schema(
    tags=[TAG],
    summary="My notifications",
    description="Unread first, then newest first; `skip`/`limit` pages as on `/users/`, with `unread_count`.",
    responses={
        200: OpenApiResponse(
            NotificationSerializer(many=True),
            examples=[OpenApiExample("A page", value=NOTIFICATION_EXAMPLE, response_only=True)],
        ),
        400: PAGE_PARAMS_ERROR,
        401: UNAUTHORIZED,
    },
)

notification_read = extend_schema(
    tags=[TAG],
    summary="Mark one notification read",
    description="Idempotent. Only the recipient may: anyone else's id is a 404.",
    request=None,
    responses={
        200: OpenApiResponse(
            NotificationSerializer,
            examples=[
                OpenApiExample(
                    "Read",
                    value={**NOTIFICATION_EXAMPLE, "is_read": True, "read_at": "2026-11-21T10:05:00Z"},
                    response_only=True,
                )
            ],
        ),
        401: UNAUTHORIZED,
        404: NOT_FOUND,
        429: THROTTLED,
    },
)

notification_read_all = extend_schema(
    tags=[TAG],
    summary="Mark all my notifications read",
    request=None,
    responses={
        200: OpenApiResponse(
            ReadAllSerializer,
            examples=[OpenApiExample("Done", value={"marked_read": 3, "unread_count": 0}, response_only=True)],
        ),
        401: UNAUTHORIZED,
        429: THROTTLED,
    },
)

preferences_get = extend_schema(
    tags=[TAG],
    summary="My notification preferences",
    description=(
        "Every kind with its channels and my choice: email and in-app on/off (`null`: the kind has no such "
        "channel), and `digest` (`immediately` or `daily`) for the email of non-urgent kinds. Mandatory kinds "
        "are locked on."
    ),
    responses={
        200: OpenApiResponse(
            PreferenceListSerializer, examples=[OpenApiExample("Mine", value=PREFERENCES_EXAMPLE, response_only=True)]
        ),
        401: UNAUTHORIZED,
    },
)

preferences_put = extend_schema(
    tags=[TAG],
    summary="Change my notification preferences",
    description=(
        "Sends the kinds to change (others keep their choice); omitted or null fields keep their value. "
        "All or nothing: turning a mandatory kind off, a digest for an urgent kind or an unknown kind is a 400 "
        "naming the kind."
    ),
    request=PreferenceUpdateSerializer,
    examples=[
        OpenApiExample(
            "Other edits of my events in the daily digest, no in-app reminders",
            value={
                "preferences": [
                    {"kind": "events.updated", "digest": "daily"},
                    {"kind": "events.reminder", "in_app": False},
                ]
            },
            request_only=True,
        )
    ],
    responses={
        200: OpenApiResponse(
            PreferenceListSerializer, examples=[OpenApiExample("Mine", value=PREFERENCES_EXAMPLE, response_only=True)]
        ),
        400: error_response(
            "A change the kind does not allow, or an unknown kind (each is named)",
            "preferences: users.verify_email is mandatory: its email notices cannot be turned off.",
            NotificationPreferencesErrorSerializer,
            preferences=["users.verify_email is mandatory: its email notices cannot be turned off."],
        ),
        401: UNAUTHORIZED,
        413: TOO_LARGE,
        415: UNSUPPORTED_MEDIA_TYPE,
        429: THROTTLED,
    },
)
