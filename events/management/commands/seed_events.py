"""`seed_events`: realistic events in every state, with registrations, for trying the admin and the API.

- Refuses to run with DEBUG off unless --force (it writes fake events and people).
- Goes through the same services as the API (create, submit, approve, reject,
  register, cancel, check in), so every row is one the product could have made:
  audit rows and in-app notifications included. Outgoing email rows the services
  write are dropped before commit: seeding mails nobody.
- Past events are made as upcoming ones, then moved into the past (the services
  refuse to create them), so they carry check-ins.
- Uses the managers and members already there; creates what is missing: two
  managers with random passwords (printed once) and members sharing one password.
"""

import random
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from events import services
from events.models import Event, EventKind
from notifications.models import OutgoingEmail
from users.models import Role, User

MEMBER_PASSWORD = "Seeded*Pass1"

CATALOGUE = [
    (EventKind.COMPANY_TOUR, "Behind the scenes at {company}", "A guided tour of {company}'s engineering floor."),
    (
        EventKind.MOCK_INTERVIEW,
        "Mock technical interviews with {company}",
        "Thirty minutes each, with written feedback.",
    ),
    (EventKind.GUEST_LECTURE, "Guest lecture: {topic} in practice", "A talk by a {company} engineer, then questions."),
    (EventKind.WORKSHOP, "Hands-on workshop: {topic}", "Bring a laptop; we build something small together."),
    (EventKind.OTHER, "Networking evening: {topic}", "Short talks, then drinks and conversation."),
]
COMPANIES = ("Acme Robotics", "Globex", "Initech", "Umbrella Health", "Stark Energy", "Wayne Logistics", "Hooli")
TOPICS = ("observability", "Django at scale", "climate data", "accessible design", "security reviews", "ML in health")
PLACES = (
    "Main hall, 1 Campus Road",
    "Lab 3, Science Park",
    "Auditorium B, 12 Harbour Street",
    "Room 204, City Library",
)


class Command(BaseCommand):
    help = (
        "Create realistic events in every state with registrations (through the services). Needs DEBUG on, or --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=40, help="Members to have at least (default 40).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for repeatable data.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when events exist already (for `make run`)."
        )

    def handle(self, *args, members, seed, force, if_empty=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_events writes fake events: refused with DEBUG off. Use DEBUG=true, or --force on a "
                "database meant for it."
            )
        if if_empty and Event.objects.exists():
            self.stdout.write("Events exist already: nothing seeded.")
            return
        self.rng = random.Random(seed)  # noqa: S311 - fake data
        with transaction.atomic():
            managers = self._managers()
            people = self._members(members)
            before = set(OutgoingEmail.objects.values_list("pk", flat=True))
            made = self._events(managers, people)
            OutgoingEmail.objects.exclude(pk__in=before).delete()
        counts = {status: sum(1 for e in made if e.status == status) for status in {e.status for e in made}}
        summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Created {len(made)} events ({summary})."))

    # --- people ------------------------------------------------------------------------

    def _managers(self) -> list[User]:
        staff = list(User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_locked=False).order_by("created_at"))
        while len(staff) < 2:
            number = len(staff) + 1
            password = secrets.token_urlsafe(12)
            email = f"events.manager{number}@example.com"
            user = User.objects.filter(email=email).first() or User.objects.create_user(
                email=email,
                password=password,
                role=Role.MANAGER,
                email_verified=True,
                first_name="Events",
                last_name=f"Manager {number}",
                nickname=User.objects.unique_nickname(),
            )
            self.stdout.write(f"Manager {email} / {password} (shown once)")
            staff.append(user)
        return staff

    def _members(self, wanted: int) -> list[User]:
        members = list(User.objects.filter(role=Role.AUTHENTICATED, email_verified=True, is_locked=False)[:wanted])
        missing = wanted - len(members)
        if missing > 0:
            hashed = make_password(MEMBER_PASSWORD)
            start = User.objects.count()
            new = [
                User(
                    email=f"events.member{start + i}@example.com",
                    nickname=f"events_member_{start + i}",
                    first_name=self.rng.choice(("Ada", "Ben", "Chen", "Dana", "Emeka", "Farah", "Hugo", "Ines")),
                    last_name=self.rng.choice(("Okafor", "Silva", "Kim", "Novak", "Patel", "Rossi", "Weber")),
                    password=hashed,
                    role=Role.AUTHENTICATED,
                    email_verified=True,
                    is_professional=self.rng.random() < 0.3,
                )
                for i in range(missing)
            ]
            members += User.objects.bulk_create(new)
            self.stdout.write(f"Created {missing} members (password {MEMBER_PASSWORD}).")
        return members

    # --- events --------------------------------------------------------------------------

    def _fields(self, days: float, capacity=None, **extra) -> dict:
        kind, title, description = self.rng.choice(CATALOGUE)
        words = {"company": self.rng.choice(COMPANIES), "topic": self.rng.choice(TOPICS)}
        starts = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        starts = starts.replace(hour=self.rng.choice((10, 14, 17, 18)))
        fields = {
            "title": title.format(**words),
            "description": description.format(**words),
            "kind": kind,
            "location": self.rng.choice(PLACES),
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=self.rng.choice((1, 2, 3))),
            "capacity": capacity,
            "requirements": self.rng.choice(("", "Bring a CV.", "Basic Python.", "Laptop with Docker installed.")),
        }
        fields.update(extra)
        return fields

    def _approved(self, creator, reviewer, days, capacity, people, registrants, **extra) -> Event:
        event = services.event_create(actor=creator, **self._fields(days, capacity, **extra))
        services.event_submit(actor=creator, event_id=event.pk)
        services.event_approve(actor=reviewer, event_id=event.pk)
        for person in self.rng.sample(people, min(registrants, len(people))):
            if extra.get("pro_only") and not person.is_professional:
                continue
            services.registration_create(actor=person, event_id=event.pk)
        return event

    def _events(self, managers, people) -> list[Event]:
        one, two = managers[0], managers[1]
        made = []
        # upcoming and approved: roomy, nearly full, full with a waiting list, online, pro only, tomorrow
        made.append(self._approved(one, two, 14, 30, people, 12))
        made.append(self._approved(two, one, 9, 10, people, 9))
        full = self._approved(one, two, 6, 8, people, 14)
        made.append(full)
        made.append(
            self._approved(two, one, 20, None, people, 6, location="", online_url="https://meet.example.com/seeded")
        )
        made.append(self._approved(one, two, 11, 12, people, 10, pro_only=True))
        made.append(self._approved(two, one, 0.8, 15, people, 7))
        # a cancelled seat moved the waiting list up
        seated = full.registrations.filter(status="CONFIRMED").select_related("user").first()
        services.registration_cancel(actor=seated.user, event_id=full.pk)
        # in review, drafts, rejected, cancelled
        for creator in (one, two):
            pending = services.event_create(actor=creator, **self._fields(25, 20))
            made.append(services.event_submit(actor=creator, event_id=pending.pk))
            made.append(services.event_create(actor=creator, **self._fields(40, 25)))
        rejected = services.event_create(actor=two, **self._fields(18, 12))
        services.event_submit(actor=two, event_id=rejected.pk)
        made.append(
            services.event_reject(
                actor=one, event_id=rejected.pk, feedback="Please add the room number and what to bring."
            )
        )
        cancelled = self._approved(one, two, 5, 20, people, 8)
        made.append(services.event_cancel(actor=one, event_id=cancelled.pk, reason="The speaker is ill."))
        # past events with check-ins: made upcoming, moved to the start of their check-in
        # window (people are checked in), then back in time
        for weeks in (2, 5):
            past = self._approved(two, one, 3, 20, people, 10)
            length = past.ends_at - past.starts_at
            starts = timezone.now() + timedelta(minutes=30)
            Event.objects.filter(pk=past.pk).update(starts_at=starts, ends_at=starts + length)
            for registration in past.registrations.filter(status="CONFIRMED")[:7]:
                services.registration_check_in(actor=one, event_id=past.pk, user_id=registration.user_id)
            starts -= timedelta(weeks=weeks, days=3)
            Event.objects.filter(pk=past.pk).update(starts_at=starts, ends_at=starts + length)
            made.append(past)
        return [Event.objects.get(pk=event.pk) for event in made]
