"""Request shapes (input) and the event and registration resources (output).

Input serializers check types and presence; the rules (dates in order, a
place, capacity, transitions) live in the model's `clean()` and the services.
Outputs are built directly from annotated rows (no query per row), with HATEOAS
links listing only what the caller may do next.
"""

import functools
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import LinkSerializer, iso_datetime

from .models import EventKind, EventStatus, RegistrationStatus
from .rules import can_edit, can_review, can_see_online_url, is_staff, registration_paused


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a timezone; a naive time is refused rather than guessed."""

    default_error_messages = {"naive": "Give a timezone (e.g. 2026-12-01T17:00:00Z)."}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well formed but impossible, e.g. 12:99
                self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]]Z or ±HH:MM")
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


class EventInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=EventKind.choices, required=False)
    location = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="Street address; this and/or online_url."
    )
    online_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    starts_at = AwareDateTimeField(help_text="ISO 8601 with a timezone.")
    ends_at = AwareDateTimeField(help_text="After starts_at.")
    capacity = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Seats; null means unlimited."
    )
    requirements = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    pro_only = serializers.BooleanField(required=False, help_text="Only professional members may register.")
    registration_opens_at = AwareDateTimeField(required=False, allow_null=True)
    registration_closes_at = AwareDateTimeField(required=False, allow_null=True)
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="The venue's IANA time zone, e.g. Europe/Paris (default: the server's). "
        "Times are still sent with an offset; this zone names them in emails and calendar files.",
    )
    members_only = serializers.BooleanField(
        required=False, help_text="Hidden from visitors without an account on the member pages."
    )


class EventUpdateSerializer(EventInputSerializer):
    """Partial: only the fields sent change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("No fields to update.")
        return attrs


class FeedbackSerializer(serializers.Serializer):
    feedback = serializers.CharField(max_length=2000, help_text="What the creator should change.")


class ApproveSerializer(serializers.Serializer):
    feedback = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DayOrTimeField(AwareDateTimeField):
    """A filter bound: an aware time, or a date (`2026-12-01`, midnight UTC; `end_of_day` for `to`)."""

    def __init__(self, *, end_of_day=False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def to_internal_value(self, value):
        day = parse_date(value.strip()) if isinstance(value, str) and len(value.strip()) == 10 else None
        if day is not None:
            start = datetime.combine(day, time.min, tzinfo=UTC)
            return start + timedelta(days=1) if self.end_of_day else start
        return super().to_internal_value(value)


class EventFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventKind.choices, required=False)
    status = serializers.ChoiceField(choices=EventStatus.choices, required=False)
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    mine = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = DayOrTimeField(required=False)
        self.fields["to"] = DayOrTimeField(required=False, end_of_day=True)


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    nickname = serializers.CharField()


class MyRegistrationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=RegistrationStatus.choices)
    waitlist_position = serializers.IntegerField(allow_null=True, help_text="1 = next to get a seat.")
    created_at = serializers.DateTimeField()


def _person(user):
    return None if user is None else {"id": str(user.pk), "nickname": user.nickname}


def _event_person(event, role: str):
    """`created_by` or `reviewed_by`: from the nickname the selectors join in, else the relation."""
    if not hasattr(event, f"{role}_nickname"):
        return _person(getattr(event, role))
    pk = getattr(event, f"{role}_id")
    return None if pk is None else {"id": str(pk), "nickname": getattr(event, f"{role}_nickname")}


def _link(rel, href, method, action):
    return {"rel": rel, "href": href, "method": method, "action": action}


class _Links:
    @functools.cached_property
    def _base(self) -> str:
        root = self.root if self.root is not None else self
        request = root.context.get("request")
        return request.build_absolute_uri("/").rstrip("/") if request else settings.SERVER_BASE_URL

    @property
    def _user(self):
        root = self.root if self.root is not None else self
        request = root.context.get("request")
        return getattr(request, "user", None)


def event_links(base: str, event, user) -> list[dict]:
    """What `user` may do with `event` now (no query: the row carries the caller's registration)."""
    href = f"{base}/events/{event.pk}"
    links = [_link("self", href, "GET", "view"), _link("calendar", f"{href}.ics", "GET", "calendar")]
    editable = user is not None and can_edit(user, event)
    status = event.status
    if editable and status != EventStatus.CANCELLED:
        links.append(_link("update", href, "PUT", "update"))
    if editable and status == EventStatus.DRAFT:
        links.append(_link("delete", href, "DELETE", "delete"))
    if editable and status in (EventStatus.DRAFT, EventStatus.REJECTED):
        links.append(_link("submit", f"{href}/submit", "POST", "submit"))
    if status == EventStatus.PENDING and user is not None and can_review(user, event):
        links.append(_link("approve", f"{href}/approve", "POST", "approve"))
        links.append(_link("reject", f"{href}/reject", "POST", "reject"))
    if editable and status != EventStatus.CANCELLED:
        links.append(_link("cancel", f"{href}/cancel", "POST", "cancel"))
    mine = getattr(event, "my_registration_status", None)
    if mine is None:
        if (
            user is not None
            and user.email_verified
            and event.registration_open()
            and (user.is_professional or not event.pro_only)
        ):
            links.append(_link("register", f"{href}/registrations", "POST", "register"))
    elif mine in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED) and not event.is_past:
        links.append(_link("unregister", f"{href}/registrations/me", "DELETE", "cancel_registration"))
    if editable:
        links.append(_link("registrations", f"{href}/registrations", "GET", "attendees"))
        links.append(_link("export", f"{href}/registrations.csv", "GET", "export_attendees"))
    return links


class EventSerializer(_Links, serializers.Serializer):
    """The event resource, built from a row annotated by `selectors.with_caller` (no query per event)."""

    id = serializers.UUIDField()
    title = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    location = serializers.CharField(allow_null=True)
    online_url = serializers.URLField(
        allow_null=True, help_text="Only for staff, the creator and registrants holding a seat (null otherwise)."
    )
    online = serializers.BooleanField(help_text="Whether the event has an online URL (shown or not).")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField(help_text="The venue's IANA time zone.")
    members_only = serializers.BooleanField(help_text="Hidden from visitors without an account on the pages.")
    capacity = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    seats_taken = serializers.IntegerField()
    seats_left = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    waitlist_count = serializers.IntegerField()
    requirements = serializers.CharField()
    pro_only = serializers.BooleanField()
    registration_opens_at = serializers.DateTimeField(allow_null=True)
    registration_closes_at = serializers.DateTimeField(allow_null=True)
    registration_open = serializers.BooleanField()
    registration_paused = serializers.BooleanField(
        help_text="An approved event back in review after an edit: visible, but registration waits for approval."
    )
    status = serializers.ChoiceField(choices=EventStatus.choices)
    created_by = PersonSerializer(allow_null=True)
    reviewed_by = PersonSerializer(allow_null=True)
    review_feedback = serializers.CharField(allow_null=True, help_text="Shown to the creator and staff only.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancellation_reason = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    my_registration = MyRegistrationSerializer(allow_null=True, help_text="The caller's live registration.")
    links = serializers.SerializerMethodField()

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, event):
        return event_links(self._base, event, self._user)

    def to_representation(self, event):
        user = self._user
        insider = user is not None and (is_staff(user) or event.created_by_id == user.pk)
        my_status = getattr(event, "my_registration_status", None)
        return {
            "id": str(event.pk),
            "title": event.title,
            "slug": event.slug,
            "description": event.description,
            "kind": event.kind,
            "location": event.location or None,
            "online_url": (event.online_url or None) if can_see_online_url(user, event, my_status) else None,
            "online": bool(event.online_url),
            "starts_at": iso_datetime(event.starts_at),
            "ends_at": iso_datetime(event.ends_at),
            "time_zone": event.time_zone,
            "members_only": event.members_only,
            "capacity": event.capacity,
            "seats_taken": event.seats_taken,
            "seats_left": event.seats_left,
            "waitlist_count": getattr(event, "waitlist_count", 0),
            "requirements": event.requirements,
            "pro_only": event.pro_only,
            "registration_opens_at": iso_datetime(event.registration_opens_at),
            "registration_closes_at": iso_datetime(event.registration_closes_at),
            "registration_open": event.registration_open(),
            "registration_paused": registration_paused(event),
            "status": event.status,
            "created_by": _event_person(event, "created_by"),
            "reviewed_by": _event_person(event, "reviewed_by") if insider else None,
            "review_feedback": (event.review_feedback or None) if insider else None,
            "submitted_at": iso_datetime(event.submitted_at) if insider else None,
            "reviewed_at": iso_datetime(event.reviewed_at) if insider else None,
            "cancelled_at": iso_datetime(event.cancelled_at),
            "cancellation_reason": event.cancellation_reason or None,
            "created_at": iso_datetime(event.created_at),
            "updated_at": iso_datetime(event.updated_at),
            "my_registration": None
            if my_status is None
            else {
                "id": str(event.my_registration_id),
                "status": my_status,
                "waitlist_position": event.my_waitlist_rank if my_status == RegistrationStatus.WAITLISTED else None,
                "created_at": iso_datetime(event.my_registration_created_at),
            },
            "links": event_links(self._base, event, user),
        }


class AttendeeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    nickname = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_professional = serializers.BooleanField()


class RegistrationSerializer(_Links, serializers.Serializer):
    """A registration as staff see it in the attendee list (and as the registrant sees their own)."""

    id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    user = AttendeeSerializer()
    status = serializers.ChoiceField(choices=RegistrationStatus.choices)
    waitlist_position = serializers.IntegerField(allow_null=True, help_text="1 = next to get a seat.")
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    links = serializers.SerializerMethodField()

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, registration):
        return self._links(registration)

    def _links(self, registration):
        href = f"{self._base}/events/{registration.event_id}/registrations"
        links = []
        user = self._user
        if registration.status == RegistrationStatus.CONFIRMED and user is not None and is_staff(user):
            links.append(_link("check_in", f"{href}/{registration.user_id}/check-in", "POST", "check_in"))
        if (
            user is not None
            and registration.user_id == user.pk
            and registration.status
            in (
                RegistrationStatus.CONFIRMED,
                RegistrationStatus.WAITLISTED,
            )
        ):
            links.append(_link("cancel", f"{href}/me", "DELETE", "cancel_registration"))
        links.append(_link("event", f"{self._base}/events/{registration.event_id}", "GET", "view_event"))
        return links

    def to_representation(self, registration):
        person = registration.user
        rank = getattr(registration, "waitlist_rank", None)
        if rank is None and registration.status == RegistrationStatus.WAITLISTED:
            rank = self.context.get("waitlist_rank")
        return {
            "id": str(registration.pk),
            "event_id": str(registration.event_id),
            "user": {
                "id": str(person.pk),
                "email": person.email,
                "nickname": person.nickname,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "is_professional": person.is_professional,
            },
            "status": registration.status,
            "waitlist_position": rank if registration.status == RegistrationStatus.WAITLISTED else None,
            "created_at": iso_datetime(registration.created_at),
            "confirmed_at": iso_datetime(registration.confirmed_at),
            "cancelled_at": iso_datetime(registration.cancelled_at),
            "checked_in_at": iso_datetime(registration.checked_in_at),
            "links": self._links(registration),
        }


class EventSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    location = serializers.CharField(allow_null=True)
    online_url = serializers.URLField(allow_null=True, help_text="Only while the registration holds a seat.")
    time_zone = serializers.CharField(help_text="The venue's IANA time zone.")
    status = serializers.ChoiceField(choices=EventStatus.choices)


class MyRegistrationItemSerializer(_Links, serializers.Serializer):
    """One of the caller's registrations, with its event (`GET /users/me/registrations`)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=RegistrationStatus.choices)
    waitlist_position = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    event = EventSummarySerializer()
    links = serializers.SerializerMethodField()

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, registration):
        return []

    def to_representation(self, registration):
        event = registration.event
        href = f"{self._base}/events/{event.pk}"
        links = [_link("event", href, "GET", "view_event"), _link("calendar", f"{href}.ics", "GET", "calendar")]
        live = registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
        if live and not event.is_past:
            links.append(_link("cancel", f"{href}/registrations/me", "DELETE", "cancel_registration"))
        return {
            "id": str(registration.pk),
            "status": registration.status,
            "waitlist_position": getattr(registration, "waitlist_rank", None)
            if registration.status == RegistrationStatus.WAITLISTED
            else None,
            "created_at": iso_datetime(registration.created_at),
            "event": {
                "id": str(event.pk),
                "title": event.title,
                "starts_at": iso_datetime(event.starts_at),
                "ends_at": iso_datetime(event.ends_at),
                "location": event.location or None,
                "online_url": (event.online_url or None)
                if can_see_online_url(self._user, event, registration.status)
                else None,
                "time_zone": event.time_zone,
                "status": event.status,
            },
            "links": links,
        }


class CalendarTokenSerializer(serializers.Serializer):
    feed_url = serializers.URLField(help_text="Subscribe to this URL; it is shown only now. Keep it secret.")
    created_at = serializers.DateTimeField()
