"""`seed_users`: fake members for development and benchmarks, safe by default.

- Refuses to run with DEBUG off unless --force (it writes thousands of fake accounts).
- Bulk users are members only (AUTHENTICATED, some ANONYMOUS = unverified, some locked);
  they share one password hash, which is printed: they can do nothing a member cannot.
- Staff (one ADMIN, then MANAGERs) only with --staff N, each with its own random
  password, printed once and never stored anywhere else.
- created_at is spread over the last two years.
- Needs no fake-data library. Rows go in by COPY on PostgreSQL (from 100,000 rows on,
  with the non-unique indexes rebuilt after the load), by batched INSERTs elsewhere;
  the table is ANALYZEd at the end.
"""

import random
import secrets
import string
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from users import counting
from users.models import Role, User
from users.nicknames import ADJECTIVES, ANIMALS

DEFAULT_PASSWORD = "Seeded*Pass1"
SPREAD = timedelta(days=730)
UNVERIFIED_SHARE, LOCKED_SHARE, PROFESSIONAL_SHARE = 0.15, 0.03, 1 / 7
REBUILD_INDEXES_FROM = 100_000  # rows; below it, maintaining the indexes while loading is cheaper

FIRST_NAMES = (  # noqa: SIM905 - a word list reads better as one string
    "Ada Alan Amara Ana Andrei Anh Aisha Ben Bilal Carla Chen Chloe Dan Diego Elena Emeka Emma Eva Farah Felix "
    "Grace Hana Hugo Ines Ivan Jack Jana Jin Jonas Julia Kai Kemal Lara Leila Leo Lina Luca Maya Mei Mila Nadia "
    "Noah Nora Olga Omar Paula Pedro Priya Rafael Rosa Ruth Sam Sara Sofia Tariq Tomas Uma Vera Wei Yara Yusuf Zoe"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Adams Ahmed Alvarez Berg Brown Chen Costa Dubois Evans Fischer Garcia Gomez Haddad Hansen Ito Jensen Kaur "
    "Kim Kowalski Larsen Lee Lopez Martin Meyer Moreau Muller Nakamura Nguyen Novak Okafor Olsen Patel Perez "
    "Petrov Popescu Rossi Sato Schmidt Silva Singh Smith Suzuki Tanaka Torres Wagner Wang Weber Wilson Yilmaz Zhang"
).split()
JOBS = ("Engineer", "Designer", "Product manager", "Researcher", "Founder", "Consultant", "Data scientist", "Student")
TOPICS = ("open source", "climate tech", "fintech", "health", "education", "AI", "security", "design systems", "music")


class Command(BaseCommand):
    help = (
        "Fill the database with N fake members (bulk insert; they share one password). "
        "Staff accounts only with --staff, each with a random password shown once. Needs DEBUG on, or --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100, help="How many members (default 100).")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password shared by the seeded members (default {DEFAULT_PASSWORD}); never given to staff.",
        )
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for repeatable names and dates.")
        parser.add_argument(
            "--staff",
            type=int,
            default=0,
            metavar="N",
            help="Also create N staff accounts (the first an ADMIN, the others MANAGERs) with random passwords.",
        )
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (e.g. a benchmark database).")

    def handle(self, *args, count, batch_size, password, seed, staff, force, **options):
        if count < 0 or batch_size < 1 or staff < 0:
            raise CommandError("--count must be >= 0 and --batch-size >= 1 (and --staff >= 0)")
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_users writes fake accounts: refused with DEBUG off. Use DEBUG=true, or --force on a "
                "database meant for it (a benchmark, a staging copy)."
            )
        started = time.perf_counter()
        rng = random.Random(seed)  # noqa: S311 - fake data, not secrets (passwords use `secrets`)
        run = secrets.token_hex(3)
        password_hash = make_password(password)  # hashed once, shared by every member
        now = timezone.now()
        created = 0
        rows = (self._member(rng, run, i, password_hash, now) for i in range(count))
        with _row_triggers_paused(), _secondary_indexes_rebuilt_after(count):
            while created < count:
                batch = [next(rows) for _ in range(min(batch_size, count - created))]
                _insert(batch)
                created += len(batch)
        staff_accounts = [self._staff(run, i) for i in range(staff)]
        with connection.cursor() as cursor:  # fresh planner statistics after a bulk load
            cursor.execute(f"ANALYZE {connection.ops.quote_name(User._meta.db_table)}")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Created {created} users in {elapsed:.1f}s (members' shared password: {password}).")
        )
        if staff_accounts:
            self.stdout.write("Staff accounts (each password is shown once; store it now):")
            for user, secret in staff_accounts:
                self.stdout.write(f"  {user.role:<8} {user.email}  {secret}")

    @staticmethod
    def _member(rng: random.Random, run: str, i: int, password_hash: str, now) -> dict:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created_at = now - SPREAD * rng.random()
        verified = rng.random() >= UNVERIFIED_SHARE
        locked = rng.random() < LOCKED_SHARE
        professional = rng.random() < PROFESSIONAL_SHARE
        return {
            "id": uuid.uuid4(),
            "password": password_hash,
            "email": f"{first}.{last}.{run}{i}@example.com".lower(),
            "nickname": f"{ADJECTIVES[i % len(ADJECTIVES)]}_{ANIMALS[i % len(ANIMALS)]}_{run}{i}",
            "first_name": first,
            "last_name": last,
            "bio": f"{rng.choice(JOBS)} interested in {rng.choice(TOPICS)} and {rng.choice(TOPICS)}.",
            "github_profile_url": f"https://github.com/{first.lower()}{run}{i}",
            "role": (Role.AUTHENTICATED if verified else Role.ANONYMOUS).value,
            "email_verified": verified,
            "is_locked": locked,
            "failed_login_attempts": settings.MAX_LOGIN_ATTEMPTS if locked else 0,
            "is_professional": professional,
            "professional_status_updated_at": created_at if professional else None,
            "last_login_at": created_at + (now - created_at) * rng.random()
            if verified and rng.random() < 0.7
            else None,
            "created_at": created_at,
            "updated_at": created_at + (now - created_at) * rng.random(),
        }

    @staticmethod
    def _staff(run: str, i: int) -> tuple[User, str]:
        role = Role.ADMIN if i == 0 else Role.MANAGER
        secret = _random_password()
        user = User.objects.create_user(
            f"staff.{role.lower()}.{run}{i}@example.com", secret, role=role, email_verified=True
        )
        return user, secret


def _random_password() -> str:
    """24 random characters with every class the password rules ask for."""
    alphabet = string.ascii_letters + string.digits + "!#%*+-=?@_"
    while True:
        secret = "".join(secrets.choice(alphabet) for _ in range(24))
        if (
            any(c.islower() for c in secret)
            and any(c.isupper() for c in secret)
            and any(c.isdigit() for c in secret)
            and any(not c.isalnum() for c in secret)
        ):
            return secret


@contextmanager
def _secondary_indexes_rebuilt_after(count: int):
    """PostgreSQL, large loads: drop the non-unique indexes (trigram GIN ones above all
    cost more to maintain row by row than to build once), load, re-create them, all in
    one transaction (the table is locked meanwhile; a failure restores everything)."""
    if connection.vendor != "postgresql" or count < REBUILD_INDEXES_FROM:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%%'",
            [User._meta.db_table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        for _, definition in indexes:
            cursor.execute(definition)


@contextmanager
def _row_triggers_paused():
    """SQLite's user-count triggers fire once per row, which inside a long transaction (a
    test's) grows quadratically; drop them for the load, then re-create them and recount
    (users.counting). PostgreSQL's are per statement: one per COPY."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for name in counting.TRIGGER_NAMES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        counting.ensure_triggers(connection.alias)


def _columns() -> list:
    """Every concrete column of the user table, with the model default for those a row leaves out."""
    return [(field, field.get_default()) for field in User._meta.concrete_fields]


@transaction.atomic
def _insert(batch: list[dict]) -> None:
    columns = _columns()
    table = connection.ops.quote_name(User._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field, _ in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row([row.get(field.attname, default) for field, default in columns])
        return
    placeholders = ", ".join(["%s"] * len(columns))
    # Only UUIDs and datetimes need the backend's conversion (SQLite stores them as text).
    convert = [field.get_internal_type() in ("UUIDField", "DateTimeField") for field, _ in columns]
    values = [
        [
            field.get_db_prep_save(value, connection) if needs else value
            for (field, default), needs in zip(columns, convert, strict=True)
            for value in (row.get(field.attname, default),)
        ]
        for row in batch
    ]
    with connection.cursor() as cursor:
        # S608: table and column names come from the model, quoted; values are parameters.
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608
