"""OpenAPI descriptions of the event endpoints: summaries, errors, examples."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from core.docs import error_response
from core.serializers import ErrorSerializer

from .models import EventKind
from .serializers import (
    ApproveSerializer,
    CalendarTokenSerializer,
    CancelSerializer,
    EventInputSerializer,
    EventSerializer,
    EventUpdateSerializer,
    FeedbackSerializer,
    MyRegistrationItemSerializer,
    RegistrationSerializer,
)

EVENTS_TAG = "Events"
REGISTRATIONS_TAG = "Event registrations"
CALENDAR_TAG = "Calendar"

EVENT_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
HREF = f"http://localhost:8000/events/{EVENT_ID}"
EVENT_EXAMPLE = {
    "id": EVENT_ID,
    "title": "Mock interviews with Acme engineers",
    "slug": "mock-interviews-with-acme-engineers-3f9a1c",
    "description": "Thirty-minute technical mock interviews with written feedback.",
    "kind": "MOCK_INTERVIEW",
    "location": "Acme HQ, 1 Market Street, Springfield",
    "online_url": None,
    "starts_at": "2026-12-03T17:00:00Z",
    "ends_at": "2026-12-03T19:00:00Z",
    "capacity": 10,
    "seats_taken": 10,
    "seats_left": 0,
    "waitlist_count": 3,
    "requirements": "Bring a CV; basic Python.",
    "pro_only": False,
    "registration_opens_at": None,
    "registration_closes_at": "2026-12-02T12:00:00Z",
    "registration_open": True,
    "status": "APPROVED",
    "created_by": {"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "nickname": "clever_fox_123"},
    "reviewed_by": None,
    "review_feedback": None,
    "submitted_at": None,
    "reviewed_at": None,
    "cancelled_at": None,
    "cancellation_reason": None,
    "created_at": "2026-11-20T09:00:00Z",
    "updated_at": "2026-11-21T10:00:00Z",
    "my_registration": {
        "id": "0b6f1e3a-2d9c-4f4e-9a51-7f3c2b1d0e9f",
        "status": "WAITLISTED",
        "waitlist_position": 2,
        "created_at": "2026-11-21T10:00:00Z",
    },
    "links": [
        {"rel": "self", "href": HREF, "method": "GET", "action": "view"},
        {"rel": "calendar", "href": f"{HREF}.ics", "method": "GET", "action": "calendar"},
        {"rel": "unregister", "href": f"{HREF}/registrations/me", "method": "DELETE", "action": "cancel_registration"},
    ],
}
EVENT_INPUT = {
    "title": "Mock interviews with Acme engineers",
    "description": "Thirty-minute technical mock interviews with written feedback.",
    "kind": "MOCK_INTERVIEW",
    "location": "Acme HQ, 1 Market Street, Springfield",
    "starts_at": "2026-12-03T17:00:00Z",
    "ends_at": "2026-12-03T19:00:00Z",
    "capacity": 10,
    "requirements": "Bring a CV; basic Python.",
    "pro_only": False,
    "registration_closes_at": "2026-12-02T12:00:00Z",
}
REGISTRATION_EXAMPLE = {
    "id": "0b6f1e3a-2d9c-4f4e-9a51-7f3c2b1d0e9f",
    "event_id": EVENT_ID,
    "user": {
        "id": "9b2d5c1e-8f7a-4e3b-a1c2-d3e4f5a6b7c8",
        "email": "jane.doe@example.com",
        "nickname": "jane_doe",
        "first_name": "Jane",
        "last_name": "Doe",
        "is_professional": False,
    },
    "status": "CONFIRMED",
    "waitlist_position": None,
    "created_at": "2026-11-21T10:00:00Z",
    "confirmed_at": "2026-11-21T10:00:00Z",
    "cancelled_at": None,
    "checked_in_at": None,
    "links": [
        {"rel": "cancel", "href": f"{HREF}/registrations/me", "method": "DELETE", "action": "cancel_registration"},
        {"rel": "event", "href": HREF, "method": "GET", "action": "view_event"},
    ],
}


UNAUTHORIZED = error_response("Missing, invalid or expired token", "Authentication credentials were not provided.")
NOT_FOUND = error_response("No such event, or one you may not see", "No Event matches the given query.")
FORBIDDEN = error_response("Not allowed for your role", "Only managers and admins may create events.")
VALIDATION = error_response(
    "Validation error (each offending field is named)",
    "ends_at: The event must end after it starts.",
    ends_at=["The event must end after it starts."],
)
TRANSITION = OpenApiResponse(
    ErrorSerializer,
    description="Not possible in the event's current state (the state is named)",
    examples=[
        OpenApiExample(
            "Illegal transition",
            value={"detail": "Cannot approve an event that is DRAFT.", "status": "DRAFT"},
            response_only=True,
        )
    ],
)
EVENT_OUT = OpenApiResponse(EventSerializer, examples=[OpenApiExample("An event", value=EVENT_EXAMPLE)])
REGISTRATION_OUT = OpenApiResponse(
    RegistrationSerializer, examples=[OpenApiExample("A registration", value=REGISTRATION_EXAMPLE)]
)
COMMON = {401: UNAUTHORIZED, 404: NOT_FOUND}


def _state_change(summary, description, request=None, examples=()):
    return extend_schema(
        tags=[EVENTS_TAG],
        summary=summary,
        description=description,
        request=request,
        responses={200: EVENT_OUT, 400: TRANSITION, 403: FORBIDDEN, **COMMON},
        examples=list(examples),
    )


event_viewset = {
    "list": extend_schema(
        tags=[EVENTS_TAG],
        summary="List events",
        description=(
            "Members see APPROVED events (cancelled ones they could see before, and any they registered "
            "for); managers and admins see "
            "every event. Upcoming events come first (soonest first), then past ones. Each item carries the "
            "caller's own registration and links to what the caller may do."
        ),
        parameters=[
            OpenApiParameter("kind", str, enum=EventKind.values),
            OpenApiParameter("status", str, description="DRAFT, PENDING, APPROVED, REJECTED or CANCELLED."),
            OpenApiParameter(
                "from", str, description="Events that end at or after this time (or date, e.g. 2026-12-01)."
            ),
            OpenApiParameter("to", str, description="Events that start before this time (or by the end of this date)."),
            OpenApiParameter("q", str, description="Text in the title, description or address."),
            OpenApiParameter("mine", bool, description="Only events you created or registered for."),
        ],
        responses={200: EventSerializer(many=True), 400: VALIDATION, 401: UNAUTHORIZED},
    ),
    "retrieve": extend_schema(
        tags=[EVENTS_TAG],
        summary="One event",
        description="With seats left, the waiting list's length and the caller's own registration.",
        responses={200: EVENT_OUT, **COMMON},
    ),
    "create": extend_schema(
        tags=[EVENTS_TAG],
        summary="Create an event (a DRAFT)",
        description="MANAGER or ADMIN. Give an address, an online URL or both; capacity null = unlimited.",
        request=EventInputSerializer,
        responses={201: EVENT_OUT, 400: VALIDATION, 401: UNAUTHORIZED, 403: FORBIDDEN},
        examples=[OpenApiExample("New event", value=EVENT_INPUT, request_only=True)],
    ),
    "update": extend_schema(
        tags=[EVENTS_TAG],
        summary="Edit an event",
        description=(
            "The creator, a manager or an admin. Changing the time, place or capacity of an APPROVED event "
            "sends it back to PENDING unless you are an ADMIN; registrants are emailed when the time or place "
            "changes; a larger capacity promotes people from the waiting list."
        ),
        request=EventUpdateSerializer,
        responses={200: EVENT_OUT, 400: VALIDATION, 403: FORBIDDEN, **COMMON},
        examples=[
            OpenApiExample("Move it an hour later", value={"starts_at": "2026-12-03T18:00:00Z"}, request_only=True)
        ],
    ),
    "partial_update": extend_schema(
        tags=[EVENTS_TAG],
        summary="Edit an event (PATCH)",
        description="The same as PUT: only the fields sent change.",
        request=EventUpdateSerializer,
        responses={200: EVENT_OUT, 400: VALIDATION, 403: FORBIDDEN, **COMMON},
        examples=[OpenApiExample("More seats", value={"capacity": 40}, request_only=True)],
    ),
    "destroy": extend_schema(
        tags=[EVENTS_TAG],
        summary="Delete a DRAFT",
        description="Anything members may have seen is cancelled instead.",
        responses={204: None, 400: TRANSITION, 403: FORBIDDEN, **COMMON},
    ),
    "submit": _state_change(
        "Submit for review", "DRAFT or REJECTED → PENDING. Every other manager and admin is emailed."
    ),
    "approve": _state_change(
        "Approve",
        "PENDING → APPROVED, by a manager or admin who did not create or submit it (four eyes).",
        request=ApproveSerializer,
    ),
    "reject": _state_change(
        "Reject with feedback",
        "PENDING → REJECTED; the feedback (required) is emailed to the creator, who may edit and resubmit.",
        request=FeedbackSerializer,
        examples=[
            OpenApiExample(
                "Feedback", value={"feedback": "Please add the room number and an end time."}, request_only=True
            )
        ],
    ),
    "cancel": _state_change(
        "Cancel",
        "Any state → CANCELLED; everyone registered or waiting is emailed (with an updated .ics).",
        request=CancelSerializer,
        examples=[OpenApiExample("Reason", value={"reason": "The speaker is ill."}, request_only=True)],
    ),
    "registrations": [
        extend_schema(
            methods=["POST"],
            tags=[REGISTRATIONS_TAG],
            summary="Register for an event",
            description=(
                "Registers the caller: CONFIRMED while seats are left, else WAITLISTED in arrival order. "
                "Verified members only, inside the registration window, never for a started or cancelled "
                "event; pro-only events need professional status. The confirmation email carries an .ics."
            ),
            request=None,
            responses={
                201: REGISTRATION_OUT,
                400: error_response("Registration refused", "This event is for professional members only."),
                409: error_response("Already registered", "You are already registered for this event."),
                **COMMON,
            },
        ),
        extend_schema(
            methods=["GET"],
            tags=[REGISTRATIONS_TAG],
            summary="Attendee list",
            description=(
                "The event's creator, managers and admins: seats in registration order, then the waiting "
                "list in order (with each person's place), then cancellations. `?skip=&limit=` pages."
            ),
            responses={
                200: RegistrationSerializer(many=True),
                400: error_response("Bad paging parameters", "skip: Ensure this value is greater than or equal to 0."),
                403: error_response(
                    "Not allowed", "Only the event's creator, managers and admins may see the attendee list."
                ),
                **COMMON,
            },
        ),
    ],
    "my_registration": [
        extend_schema(
            methods=["GET"],
            tags=[REGISTRATIONS_TAG],
            summary="Your registration for an event",
            responses={200: REGISTRATION_OUT, **COMMON},
        ),
        extend_schema(
            methods=["DELETE"],
            tags=[REGISTRATIONS_TAG],
            summary="Cancel your registration",
            description="A freed seat goes to the first person waiting, in the same transaction, who is emailed.",
            responses={
                204: None,
                400: error_response("Too late", "This event is over; its registrations can no longer be cancelled."),
                **COMMON,
            },
        ),
    ],
    "check_in": extend_schema(
        tags=[REGISTRATIONS_TAG],
        summary="Check a registrant in (staff)",
        description="CONFIRMED → ATTENDED. Checking in twice changes nothing.",
        request=None,
        responses={200: REGISTRATION_OUT, 400: TRANSITION, 403: FORBIDDEN, **COMMON},
    ),
    "export": extend_schema(
        tags=[REGISTRATIONS_TAG],
        summary="Attendee list as CSV (creator, managers, admins)",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                examples=[
                    OpenApiExample(
                        "CSV",
                        value="status,waitlist_position,email,nickname,first_name,last_name,professional,"
                        "registered_at,checked_in_at\nCONFIRMED,,jane.doe@example.com,jane_doe,Jane,Doe,no,"
                        "2026-11-21T10:00:00+00:00,\n",
                    )
                ],
            ),
            403: FORBIDDEN,
            **COMMON,
        },
    ),
}

ICS_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Event Manager//events//EN\r\nMETHOD:PUBLISH\r\n"
    "BEGIN:VEVENT\r\nUID:event-7c9e6679-7425-40de-944b-e07fc1f90ae7@localhost\r\n"
    "DTSTART:20261203T170000Z\r\nDTEND:20261203T190000Z\r\nSUMMARY:Mock interviews with Acme engineers\r\n"
    "LOCATION:Acme HQ\\, 1 Market Street\\, Springfield\r\nURL:http://localhost:8000/events/7c9e6679-...\r\n"
    "SEQUENCE:0\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
ICS_OUT = OpenApiResponse(OpenApiTypes.STR, examples=[OpenApiExample("iCalendar", value=ICS_EXAMPLE)])

event_calendar = extend_schema(
    tags=[CALENDAR_TAG],
    summary="One event as an .ics file",
    responses={(200, "text/calendar"): ICS_OUT, **COMMON},
)

my_registrations = extend_schema(
    tags=[REGISTRATIONS_TAG],
    summary="Your registrations",
    description="Newest event first, with each event's summary; `?skip=&limit=` pages.",
    responses={
        200: MyRegistrationItemSerializer(many=True),
        400: error_response("Bad paging parameters", "limit: Ensure this value is greater than or equal to 1."),
        401: UNAUTHORIZED,
    },
)

calendar_token_create = extend_schema(
    tags=[CALENDAR_TAG],
    summary="Make (or replace) your calendar feed URL",
    description=(
        "Returns a secret URL to subscribe to from Google, Apple or Outlook calendars. It is shown only "
        "now (only a hash is stored); making a new one revokes the old one."
    ),
    request=None,
    responses={
        201: OpenApiResponse(
            CalendarTokenSerializer,
            examples=[
                OpenApiExample(
                    "Feed URL",
                    value={
                        "feed_url": "http://localhost:8000/users/me/events.ics?token=Jx0...secret",
                        "created_at": "2026-11-21T10:00:00Z",
                    },
                )
            ],
        ),
        401: UNAUTHORIZED,
    },
)

calendar_token_revoke = extend_schema(
    tags=[CALENDAR_TAG],
    summary="Revoke your calendar feed URL",
    request=None,
    responses={204: None, 401: UNAUTHORIZED},
)

calendar_feed = extend_schema(
    tags=[CALENDAR_TAG],
    summary="Your calendar feed (no JWT: the token in the URL is the credential)",
    description="Events you hold a seat for, including cancelled ones (struck out). Throttled per address.",
    auth=[],
    parameters=[OpenApiParameter("token", str, required=True, description="The secret from the feed URL.")],
    responses={
        (200, "text/calendar"): ICS_OUT,
        404: error_response("Unknown or revoked token", "Unknown or revoked calendar feed token."),
        429: error_response("Too many requests from this address", "Request was throttled."),
    },
)
