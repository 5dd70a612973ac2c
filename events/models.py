"""Events, registrations and calendar-feed tokens.

Modelled on what long-lived event products keep (pretix's quotas and waiting
list, Indico's registration states): an event carries its own seat counter
(`seats_taken`), kept by the services under a row lock and bounded by a check
constraint, so capacity holds even if a code path forgets the lock; a
registration is one row per attempt (a cancelled one stays, for history) and
the database allows one *live* row per user and event.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.timezones import default_time_zone, validate_time_zone
from users.models import HTTPURLField


class EventKind(models.TextChoices):
    COMPANY_TOUR = "COMPANY_TOUR", "Company tour"
    MOCK_INTERVIEW = "MOCK_INTERVIEW", "Mock interview"
    GUEST_LECTURE = "GUEST_LECTURE", "Guest lecture"
    WORKSHOP = "WORKSHOP", "Workshop"
    OTHER = "OTHER", "Other"


class EventStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    PENDING = "PENDING", "Pending review"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    CANCELLED = "CANCELLED", "Cancelled"


# The fields whose change re-opens review of an APPROVED event and is announced to registrants.
LOGISTICS_FIELDS = ("starts_at", "ends_at", "location", "online_url", "capacity")
# Of those, the ones registrants are told about (and that bump the calendar SEQUENCE).
WHEN_WHERE_FIELDS = ("starts_at", "ends_at", "location", "online_url")
# What a creator or staff member may edit through the API and the admin.
EDITABLE_FIELDS = (
    "title",
    "description",
    "kind",
    "location",
    "online_url",
    "starts_at",
    "ends_at",
    "capacity",
    "requirements",
    "pro_only",
    "registration_opens_at",
    "registration_closes_at",
    "time_zone",
    "members_only",
)


class Event(models.Model):
    """Something members can register for, once another manager approved it.

    `seats_taken` counts CONFIRMED and ATTENDED registrations. Only the
    registration services change it, inside the transaction that holds this row
    locked (see events.services.locking), and a check constraint keeps it within
    `capacity`, so no code path can overbook.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True, editable=False)
    description = models.TextField(max_length=10_000, blank=True)
    kind = models.CharField(max_length=20, choices=EventKind, default=EventKind.OTHER)
    location = models.CharField("address", max_length=300, blank=True)
    online_url = HTTPURLField("online URL", max_length=500, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Seats; empty means unlimited.")
    requirements = models.TextField("participation requirements", max_length=2000, blank=True)
    pro_only = models.BooleanField("professional members only", default=False)
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="The venue's IANA time zone (e.g. Europe/Paris): calendar files carry it.",
    )
    members_only = models.BooleanField(
        default=False, help_text="Hidden from visitors without an account, even when events are public."
    )
    registration_opens_at = models.DateTimeField(null=True, blank=True, help_text="Empty: open once approved.")
    registration_closes_at = models.DateTimeField(null=True, blank=True, help_text="Empty: open until it starts.")
    status = models.CharField(max_length=10, choices=EventStatus, default=EventStatus.DRAFT, editable=False)
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="iCalendar SEQUENCE: bumped when the time or place changes."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="events_created", editable=False
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events_reviewed",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_feedback = models.TextField(max_length=2000, blank=True, editable=False)
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="First approval: members have seen it since."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancellation_reason = models.TextField(max_length=2000, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EventStatus.values), name="events_event_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="events_event_kind_valid"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="events_event_ends_after_start",
                violation_error_message="The event must end after it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(location="") | ~Q(online_url=""),
                name="events_event_has_a_place",
                violation_error_message="Give an address, an online URL, or both.",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="events_event_capacity_positive",
                violation_error_message="Capacity must be at least 1 (leave it empty for unlimited).",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=models.F("capacity")),
                name="events_event_not_overbooked",
                violation_error_message="Capacity cannot be below the number of confirmed registrations.",
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=models.F("registration_opens_at")),
                name="events_event_registration_window",
                violation_error_message="Registration must close after it opens.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="events_status_starts_idx"),
            models.Index(fields=["starts_at"], name="events_starts_idx"),
            models.Index(fields=["created_by", "status"], name="events_creator_status_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": ValidationError("The event must end after it starts.", code="order")})
        if not self.location and not self.online_url:
            raise ValidationError({"location": ValidationError("Give an address, an online URL, or both.")})
        if self.capacity is not None and self.capacity < self.seats_taken:
            raise ValidationError(
                {"capacity": f"Capacity cannot be below the {self.seats_taken} confirmed registrations."}
            )
        opens, closes = self.registration_opens_at, self.registration_closes_at
        if opens and closes and closes <= opens:
            raise ValidationError({"registration_closes_at": "Registration must close after it opens."})

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.seats_taken, 0)

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    def registration_open(self, now=None) -> bool:
        """Approved, not started, and inside the registration window."""
        now = now or timezone.now()
        if self.status != EventStatus.APPROVED or self.starts_at <= now:
            return False
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        return not (self.registration_closes_at and now >= self.registration_closes_at)


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "CONFIRMED", "Confirmed"
    WAITLISTED = "WAITLISTED", "Waitlisted"
    CANCELLED = "CANCELLED", "Cancelled"
    ATTENDED = "ATTENDED", "Attended"


LIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.ATTENDED)
SEAT_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)


class Registration(models.Model):
    """One person's registration for one event.

    `waitlist_position` is set only while WAITLISTED: positions grow in arrival
    order (assigned under the event's row lock), so the waiting list is
    `ORDER BY waitlist_position`; gaps left by promotions and cancellations are
    harmless. A cancelled row stays; registering again makes a new row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_registrations")
    status = models.CharField(max_length=10, choices=RegistrationStatus, editable=False)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    checked_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=~Q(status=RegistrationStatus.CANCELLED),
                name="events_registration_one_live_per_user",
                violation_error_message="You are already registered for this event.",
            ),
            models.UniqueConstraint(
                fields=["event", "waitlist_position"],
                condition=Q(status=RegistrationStatus.WAITLISTED),
                name="events_registration_waitlist_position_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values), name="events_registration_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=RegistrationStatus.WAITLISTED, waitlist_position__isnull=False)
                | (~Q(status=RegistrationStatus.WAITLISTED) & Q(waitlist_position__isnull=True)),
                name="events_registration_position_iff_waitlisted",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status", "waitlist_position"], name="events_reg_event_status_idx"),
            models.Index(fields=["user", "status"], name="events_reg_user_status_idx"),
        ]

    def __str__(self):
        return f"{self.user} → {self.event} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedToken(models.Model):
    """The secret in a user's calendar-feed URL (`/users/me/events.ics?token=...`).

    Calendar apps cannot send a bearer token, so the URL itself is the
    credential: 256 random bits, shown once, stored only as a SHA-256 hash (a
    database leak gives no working URL). One per user; making a new one
    replaces the old, deleting it revokes the feed.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_token")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"Calendar feed of {self.user}"
