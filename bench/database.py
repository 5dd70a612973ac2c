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
