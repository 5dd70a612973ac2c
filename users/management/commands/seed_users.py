import time
import uuid

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from faker import Faker

from users.models import Role, User
from users.nicknames import ADJECTIVES, ANIMALS

DEFAULT_PASSWORD = "Seeded*Pass1"
ROLE_WEIGHTS = ((Role.AUTHENTICATED, 80), (Role.ANONYMOUS, 15), (Role.MANAGER, 4), (Role.ADMIN, 1))


class Command(BaseCommand):
    help = "Fill the database with N realistic users (bulk inserts; every seeded user shares one password)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100, help="How many users (default 100).")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help=f"Password of every seeded user (default {DEFAULT_PASSWORD})."
        )
        parser.add_argument("--seed", type=int, default=None, help="Faker seed, for repeatable data.")

    def handle(self, *args, count, batch_size, password, seed, **options):
        if count < 0 or batch_size < 1:
            raise CommandError("--count must be >= 0 and --batch-size >= 1")
        fake = Faker()
        if seed is not None:
            Faker.seed(seed)
        started = time.perf_counter()
        password_hash = make_password(password)  # hashed once, shared by every row
        run = uuid.uuid4().hex[:6]
        roles = [role for role, weight in ROLE_WEIGHTS for _ in range(weight)]
        now = timezone.now()
        created = 0
        while created < count:
            batch = []
            for i in range(created, min(created + batch_size, count)):
                first, last = fake.first_name(), fake.last_name()
                role = roles[i % len(roles)]
                verified = role != Role.ANONYMOUS
                batch.append(
                    User(
                        email=f"{first}.{last}.{run}{i}@example.com".lower(),
                        nickname=f"{ADJECTIVES[i % len(ADJECTIVES)]}_{ANIMALS[i % len(ANIMALS)]}_{run}{i}",
                        password=password_hash,
                        first_name=first,
                        last_name=last,
                        bio=fake.sentence(nb_words=12),
                        role=role,
                        email_verified=verified,
                        is_professional=i % 7 == 0,
                        professional_status_updated_at=now if i % 7 == 0 else None,
                        github_profile_url=f"https://github.com/{first.lower()}{i}",
                    )
                )
            User.objects.bulk_create(batch, batch_size=batch_size)
            created += len(batch)
        with connection.cursor() as cursor:  # fresh planner statistics after a bulk load
            cursor.execute(f"ANALYZE {User._meta.db_table}")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Created {created} users in {elapsed:.1f}s (password: {password})."))
