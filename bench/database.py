"""The bench database: pick or create it, migrate and seed it through manage.py, create the
bench ADMIN, VACUUM ANALYZE it, and sample its client connections while a scenario runs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from bench import ROOT, BenchError, log, report

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "event_manager_bench"
PG_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
SEEDED_PASSWORD = "Seeded*Pass1"  # users/management/commands/seed_users.py: every seeded user's password
ADMIN_EMAIL = "bench.admin@example.com"
ADMIN_PASSWORD = "Bench*Admin-Pass-7"
MEMBER_EMAIL = "bench.member@example.com"  # role AUTHENTICATED: the member endpoints' caller
MEMBER_PASSWORD = "Bench*Member-Pass-7"
EVENTS = 10_000


@dataclass(frozen=True)
class Database:
    django_url: str  # DATABASE_URL given to Django
    conninfo: str  # the same, as a libpq URI for psycopg
    name: str
    label: str


def _libpq_uri(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.lower() in PG_SCHEMES else url


def prepare_database(fresh: bool) -> Database:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if urlsplit(url).scheme.lower() not in PG_SCHEMES:
            raise BenchError(
                f"DATABASE_URL must point at PostgreSQL for a benchmark, not {report.mask_url_password(url)}"
            )
        if fresh:
            raise BenchError("--fresh only drops the bench's own local database; unset DATABASE_URL to use it")
        name = urlsplit(url).path.lstrip("/")
        return Database(url, _libpq_uri(url), name, f"DATABASE_URL: `{report.mask_url_password(url)}`")
    try:
        with psycopg.connect(f"{LOCAL_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
            if exists and fresh:
                log(f"--fresh: dropping database {BENCH_DB}")
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
                exists = None
            if not exists:
                log(f"Creating database {BENCH_DB} on {LOCAL_SERVER}")
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
                how = "created by this run"
            else:
                how = "kept from an earlier run; `--fresh` re-creates it"
    except psycopg.OperationalError as exc:
        raise BenchError(f"cannot reach PostgreSQL at {LOCAL_SERVER}: {exc}") from exc
    url = f"{LOCAL_SERVER}/{BENCH_DB}"
    return Database(url, url, BENCH_DB, f"local PostgreSQL database `{BENCH_DB}` at 127.0.0.1:5432 ({how})")


def django_env(db: Database, secret_key: str, redis_url: str) -> dict[str, str]:
    """The environment of manage.py and gunicorn: production-like settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GUNICORN_", "BENCH_"))}
    env.update(
        DATABASE_URL=db.django_url,
        SECRET_KEY=secret_key,
        DEBUG="false",
        AUTH_THROTTLE_RATE="none",
        REDIS_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="event_manager.settings",
        PYTHONUNBUFFERED="1",
    )
    env.pop("WEB_CONCURRENCY", None)
    env.setdefault("LOG_LEVEL", "WARNING")
    return env


def manage(args: list[str], env: dict[str, str], *, capture: bool = False) -> str:
    cmd = [sys.executable, "manage.py", *args]
    # S603 is safe here: a fixed argument list (this interpreter, manage.py), no shell.
    proc = subprocess.run(  # noqa: S603
        cmd, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE if capture else sys.stderr, stderr=subprocess.PIPE
    )
    if proc.returncode != 0:
        raise BenchError(f"`manage.py {' '.join(args[:2])}` failed:\n{proc.stderr.strip()}")
    if proc.stderr.strip():
        log(proc.stderr.strip())
    return proc.stdout or ""


_STATE_SNIPPET = (
    "import json\n"
    "from users.models import User\n"
    "admin = User.objects.by_email({email!r})\n"
    "print('BENCH_STATE', json.dumps({{'users': User.objects.count() - admin.count(), 'admin': admin.exists()}}))\n"
)


def database_state(env: dict[str, str]) -> dict:
    out = manage(["shell", "-c", _STATE_SNIPPET.format(email=ADMIN_EMAIL)], env, capture=True)
    for line in out.splitlines():
        if line.startswith("BENCH_STATE "):
            return json.loads(line.split(" ", 1)[1])
    raise BenchError(f"could not read the user count:\n{out}")


def prepare_data(args: argparse.Namespace, env: dict[str, str]) -> int:
    """Migrate, seed up to --users, create the bench admin; return the user count (admin excluded)."""
    log("Migrating")
    manage(["migrate", "--noinput", "-v", "0"], env)
    state = database_state(env)
    missing = args.users - state["users"]
    if args.skip_seed:
        log(f"--skip-seed: {state['users']:,} users in the database")
    elif missing > 0:
        log(f"Seeding {missing:,} users ({state['users']:,} already there, {args.users:,} wanted)")
        started = time.monotonic()
        manage(["seed_users", "--count", str(missing), "--force"], env)  # DEBUG is off here
        log(f"  seeded in {time.monotonic() - started:.0f}s")
        state = database_state(env)
    else:
        log(f"Already seeded: {state['users']:,} users (>= {args.users:,}), not seeding")
    if not state["admin"]:
        log(f"Creating the ADMIN {ADMIN_EMAIL}")
        manage(
            ["createsuperuser", "--noinput", "--email", ADMIN_EMAIL],
            {**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD, "DJANGO_SUPERUSER_EMAIL": ADMIN_EMAIL},
        )
    return state["users"]


# Approved events (half past, half upcoming) made by a bench manager, and the bench member
# with a confirmed seat in 10 of the upcoming ones, so their pages carry `my_registration`.
# Bulk rows, not the services: 10,000 events through the services would take minutes.
_EVENTS_SNIPPET = """
import random, uuid
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from events.models import Event, EventStatus, Registration, RegistrationStatus
from users.models import Role, User

def person(email, password, role):
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(
        email=email, password=password, role=role, email_verified=True, first_name="Bench", last_name=role.title(),
        nickname=User.objects.unique_nickname())

manager = person("bench.manager@example.com", {member_password!r} + "-m", Role.MANAGER)
member = person({member_email!r}, {member_password!r}, Role.AUTHENTICATED)
rng, now = random.Random(18), timezone.now()
with transaction.atomic():
    rows = []
    for i in range(Event.objects.count(), {events}):
        starts = (now + timedelta(days=rng.uniform(-400, 400))).replace(microsecond=0)
        rows.append(Event(
            title=f"Bench event {{i}}", slug=f"bench-event-{{i}}-{{uuid.uuid4().hex[:8]}}", kind="WORKSHOP",
            description="A benchmark event.", location="Main hall", starts_at=starts,
            ends_at=starts + timedelta(hours=2), capacity=rng.choice((None, 30, 100)), status=EventStatus.APPROVED,
            created_by=manager, submitted_by=manager, submitted_at=now, reviewed_by=manager, reviewed_at=now,
            published_at=now))
    Event.objects.bulk_create(rows, batch_size=2000)
    if not Registration.objects.filter(user=member).exists():
        upcoming = Event.objects.filter(starts_at__gt=now, status=EventStatus.APPROVED).order_by("starts_at")[:30:3]
        seats = [Registration(event=e, user=member, status=RegistrationStatus.CONFIRMED, confirmed_at=now)
                 for e in upcoming]
        Registration.objects.bulk_create(seats)
        Event.objects.filter(pk__in=[seat.event_id for seat in seats]).update(seats_taken=1)
print("BENCH_EVENTS", Event.objects.count())
"""


def prepare_events(env: dict[str, str]) -> int:
    """At least EVENTS approved events and the bench member; returns the event count."""
    log(f"Events: making sure {EVENTS:,} exist, and the member {MEMBER_EMAIL}")
    snippet = _EVENTS_SNIPPET.format(member_email=MEMBER_EMAIL, member_password=MEMBER_PASSWORD, events=EVENTS)
    out = manage(["shell", "-c", snippet], env, capture=True)
    for line in out.splitlines():
        if line.startswith("BENCH_EVENTS "):
            return int(line.split()[1])
    raise BenchError(f"could not seed the events:\n{out}")


def churn(db: Database, rows: int) -> None:
    """Sign-ups and deletions: `rows` users copied as new (newest) rows, then deleted again,
    in SQL (the users counter trigger keeps the total right). Leaves as many dead rows and
    pages not all-visible as a day of sign-ups and closed accounts would."""
    with psycopg.connect(db.conninfo, autocommit=True, connect_timeout=5) as conn:
        columns = [
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'users_user' "
                "ORDER BY ordinal_position"
            ).fetchall()
        ]
        fresh = {
            "id": "gen_random_uuid()",
            "email": "'bench.churn.' || md5(random()::text) || '@example.com'",
            "nickname": "'churn_' || md5(random()::text)",
            "created_at": "now()",
            "updated_at": "now()",
        }
        select = ", ".join(fresh.get(name, sql.Identifier(name).as_string(conn)) for name in columns)
        names = ", ".join(sql.Identifier(name).as_string(conn) for name in columns)
        conn.execute(
            f"INSERT INTO users_user ({names}) SELECT {select} FROM users_user "  # noqa: S608 - catalogue names
            f"WHERE email NOT LIKE 'bench.churn.%%' LIMIT %s",
            (rows,),
        )
        conn.execute("DELETE FROM users_user WHERE email LIKE 'bench.churn.%%'")


def autovacuum_on(db: Database) -> bool:
    with psycopg.connect(db.conninfo, connect_timeout=5) as conn:
        return conn.execute("SHOW autovacuum").fetchone()[0] == "on"


def wait_for_autovacuum(db: Database, since: float, timeout: float) -> float | None:
    """Seconds until autovacuum had vacuumed the users table after the wall time `since`
    (a Unix time); None if it had not within `timeout`."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(db.conninfo, autocommit=True, connect_timeout=5) as conn:
        while time.monotonic() < deadline:
            (last,) = conn.execute(
                "SELECT extract(epoch FROM last_autovacuum) FROM pg_stat_user_tables WHERE relname = 'users_user'"
            ).fetchone()
            if last is not None and float(last) > since:
                return float(last) - since
            time.sleep(2)
    return None


def vacuum_users(db: Database) -> None:
    """What autovacuum does to the users table (a plain VACUUM: no lock against the readers)."""
    with psycopg.connect(db.conninfo, autocommit=True, connect_timeout=5) as conn:
        conn.execute("VACUUM users_user")


def vacuum_analyze(db: Database) -> None:
    """Fresh planner statistics, and no autovacuum of the just-seeded table during the runs."""
    log("VACUUM ANALYZE")
    with psycopg.connect(db.conninfo, autocommit=True, connect_timeout=5) as conn:
        conn.execute("VACUUM (ANALYZE)")


def pg_server_version(db: Database) -> str:
    with psycopg.connect(db.conninfo, connect_timeout=5) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


class ConnectionSampler:
    """Polls pg_stat_activity every 0.5 s while a scenario runs; keeps the peak."""

    def __init__(self, db: Database):
        self.db = db
        self.peak: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with psycopg.connect(self.db.conninfo, autocommit=True, connect_timeout=5) as conn:
                while not self._stop.is_set():
                    (count,) = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend'",
                        (self.db.name,),
                    ).fetchone()
                    self.peak = max(self.peak or 0, count)
                    self._stop.wait(0.5)
        except psycopg.Error as exc:  # a sampling failure must not fail the benchmark
            log(f"  (connection sampling stopped: {exc})")

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
