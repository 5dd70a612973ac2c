"""`python -m bench`: seed a PostgreSQL database, serve the app with gunicorn (WSGI, then
ASGI), load it with wrk, print a Markdown report and write it to docs/benchmarks.md.

Progress goes to stderr; stdout gets only the Markdown report.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from psycopg import sql

from bench import report

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = ROOT / "bench" / "wrk.lua"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "event_manager_bench"
PG_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
SEEDED_PASSWORD = "Seeded*Pass1"  # users/management/commands/seed_users.py: every seeded user's password
ADMIN_EMAIL = "bench.admin@example.com"
ADMIN_PASSWORD = "Bench*Admin-Pass-7"
WRK_INSTALL = "sudo apt-get update && sudo apt-get install -y wrk"
DEEP_SKIP = 90_000


@dataclass(frozen=True)
class Mode:
    name: str
    app: str
    worker_class: str


MODES = {
    "wsgi": Mode("WSGI", "event_manager.wsgi:application", "sync"),
    "asgi": Mode("ASGI", "event_manager.asgi:application", "uvicorn_worker.UvicornWorker"),
}


# Under ASGI each request runs its sync code in a thread of its own, so Django's persistent
# connections (CONN_MAX_AGE > 0) are opened per request and never reused: they pile up until
# PostgreSQL refuses clients. The pool (DATABASE_POOL=true) or CONN_MAX_AGE=0 avoids that.
ASGI_DB = {
    "pool": {"DATABASE_POOL": "true"},
    "close": {"DATABASE_POOL": "false", "CONN_MAX_AGE": "0"},
    "persistent": {"DATABASE_POOL": "false", "CONN_MAX_AGE": "60"},
}


class BenchError(Exception):
    """A failure with a message for the user; no traceback needed."""


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)


# --- Command line -------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Load-test the service under gunicorn (WSGI sync workers, then ASGI uvicorn workers) with wrk, "
            "against a seeded PostgreSQL database; print a Markdown report and write it to docs/benchmarks.md. "
            f"Database: $DATABASE_URL if set, else the local database {BENCH_DB!r} on {LOCAL_SERVER} "
            "(created when missing, kept for the next run)."
        ),
    )
    parser.add_argument("--duration", default="10s", help="wrk run per scenario (default 10s)")
    parser.add_argument("--warmup", default="2s", help="wrk warm-up per server before measuring (default 2s; 0 = none)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", default="10s", help="wrk per-request timeout, counted as an error (default 10s)")
    parser.add_argument(
        "--users", type=int, default=100_000, help="seeded users wanted in the database (default 100000)"
    )
    parser.add_argument(
        "--keepalive",
        action="store_true",
        help="let wrk reuse its connections; by default every request sends `Connection: close`, like the nginx "
        "of deploy/nginx.conf (HTTP/1.0 to gunicorn, no upstream keep-alive), which also spreads the load "
        "evenly over the workers (a few long-lived connections can land all on one uvicorn worker)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per mode (default 2)")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="gunicorn max_requests (worker recycling); default 0 = off, so no worker restarts mid-run "
        "(deploy/gunicorn.conf.py defaults to 1000)",
    )
    parser.add_argument("--modes", default="wsgi,asgi", help="comma-separated: wsgi, asgi (default wsgi,asgi)")
    parser.add_argument(
        "--asgi-db",
        choices=sorted(ASGI_DB),
        default="pool",
        help="database connections under ASGI: pool = DATABASE_POOL=true (default), close = CONN_MAX_AGE=0, "
        "persistent = the settings' default CONN_MAX_AGE=60, which leaks a connection per request under ASGI",
    )
    parser.add_argument("--redis-db", type=int, default=15, help="Redis database number for REDIS_URL (default 15)")
    parser.add_argument("--skip-seed", action="store_true", help="do not seed users, use what is in the database")
    parser.add_argument(
        "--fresh", action="store_true", help=f"drop and re-create the local {BENCH_DB!r} database first"
    )
    parser.add_argument(
        "--output", default=str(DEFAULT_OUTPUT), help="Markdown file to write (default docs/benchmarks.md)"
    )
    args = parser.parse_args(argv)
    try:
        args.duration_s = report.parse_duration(args.duration)
        args.timeout_s = report.parse_duration(args.timeout)
        args.warmup_s = 0 if str(args.warmup).strip() in {"0", "0s"} else report.parse_duration(args.warmup)
    except ValueError as exc:
        parser.error(str(exc))
    args.mode_list = [name.strip().lower() for name in args.modes.split(",") if name.strip()]
    unknown = [name for name in args.mode_list if name not in MODES]
    if unknown or not args.mode_list:
        parser.error(f"--modes takes wsgi and/or asgi, not {args.modes!r}")
    if args.threads < 1 or args.connections < args.threads:
        parser.error("--connections must be at least --threads, and --threads at least 1")
    if args.workers < 1 or args.users < 0:
        parser.error("--workers must be at least 1 and --users at least 0")
    return args


# --- Database -----------------------------------------------------------------


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
        manage(["seed_users", "--count", str(missing)], env)
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


# --- HTTP and the server ------------------------------------------------------


def http_call(port: int, method: str, path: str, *, headers=None, body=None, timeout=30.0) -> tuple[int, bytes]:
    """One request to 127.0.0.1 (no proxy, no redirect following)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """gunicorn on 127.0.0.1:<free port>, in its own process group; stop() always ends it."""

    def __init__(self, mode: Mode, *, workers: int, max_requests: int, env: dict[str, str], log_path: Path):
        self.mode, self.workers, self.max_requests = mode, workers, max_requests
        self.env, self.log_path = env, log_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> GunicornServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(self.workers),
            "GUNICORN_THREADS": "1",
            "GUNICORN_WORKER_CLASS": self.mode.worker_class,
            "GUNICORN_MAX_REQUESTS": str(self.max_requests),
            "GUNICORN_LOG_LEVEL": "warning",
        }
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), self.mode.app]
        log(
            f"Starting gunicorn ({self.mode.name}): {self.workers} x {self.mode.worker_class} worker(s), "
            f"1 thread, on 127.0.0.1:{self.port}"
        )
        with open(self.log_path, "ab") as log_file:
            # S603 is safe here: a fixed argument list (this interpreter, gunicorn), no shell.
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready(timeout=90)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = http_call(self.port, "GET", "/health", timeout=5)
                if status == 200 and self._worker_count() in (None, self.workers):
                    return
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer 200 on /health within {timeout:.0f}s:\n{self.log_tail()}")

    def _worker_count(self) -> int | None:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return None  # no /proc children file: /health answering is all we can check
        return len(children)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                log("gunicorn did not stop in 35s; killing its process group")
        # The master leads its own process group (start_new_session): end any straggler of it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        log(f"Stopped gunicorn ({self.mode.name})")
        self.proc = None


# --- Scenarios and wrk --------------------------------------------------------


@dataclass
class Scenario:
    endpoint: str  # as shown in the table
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    bodies: list[str] | None = None  # form-encoded POST bodies, cycled through


def login_token(port: int, email: str, password: str) -> str:
    body = urlencode({"username": email, "password": password})
    status, data = http_call(
        port, "POST", "/login/", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body
    )
    if status != 200:
        raise BenchError(f"login as {email} answered {status}: {data[:300]!r} (try --fresh)")
    return json.loads(data)["access_token"]


def build_scenarios(port: int, token: str) -> tuple[list[Scenario], int]:
    """The four scenarios, with a real user id and real seeded users' credentials."""
    auth = {"Authorization": f"Bearer {token}"}
    status, data = http_call(port, "GET", "/users/?skip=0&limit=1", headers=auth)
    if status != 200:
        raise BenchError(f"GET /users/ answered {status}: {data[:300]!r}")
    total = json.loads(data)["total"]
    sample_skip = max(min(1_000, total - 100), 0)
    status, data = http_call(port, "GET", f"/users/?skip={sample_skip}&limit=100", headers=auth)
    items = json.loads(data)["items"]
    loginable = [u for u in items if u["email_verified"] and not u["is_locked"] and u["email"].lower() != ADMIN_EMAIL]
    if not loginable:
        raise BenchError("no verified, unlocked user found to log in with; seed users first (drop --skip-seed)")
    user_id = loginable[len(loginable) // 2]["id"]
    bodies = [urlencode({"username": u["email"], "password": SEEDED_PASSWORD}) for u in loginable]
    deep_skip = DEEP_SKIP if total >= DEEP_SKIP + 10 else max(total - 10, 0)
    scenarios = [
        Scenario("GET /users/{id}", f"/users/{user_id}", headers=auth),
        Scenario("GET /users/?skip=0&limit=10", "/users/?skip=0&limit=10", headers=auth),
        Scenario(f"GET /users/?skip={deep_skip}&limit=10", f"/users/?skip={deep_skip}&limit=10", headers=auth),
        Scenario("POST /login/ (form)", "/login/", method="POST", bodies=bodies),
    ]
    return scenarios, len(bodies)


def preflight(port: int, scenario: Scenario) -> None:
    """One request first: the scenario must answer 2xx (wrk does not count 3xx as errors)."""
    headers = dict(scenario.headers)
    body = None
    if scenario.bodies:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = scenario.bodies[0]
    status, data = http_call(port, scenario.method, scenario.path, headers=headers, body=body)
    if not 200 <= status < 300:
        raise BenchError(f"{scenario.method} {scenario.path} answered {status}, not 2xx: {data[:300]!r}")


def run_wrk(wrk: str, port: int, scenario: Scenario, *, seconds: int, args, workdir: Path) -> report.WrkStats:
    cmd = [
        wrk,
        "--threads", str(args.threads),
        "--connections", str(args.connections),
        "--duration", f"{seconds}s",
        "--timeout", f"{args.timeout_s}s",
        "--script", str(LUA_SCRIPT),
    ]  # fmt: skip
    headers = dict(scenario.headers)
    if not args.keepalive:
        headers["Connection"] = "close"
    for name, value in headers.items():
        cmd += ["--header", f"{name}: {value}"]
    cmd.append(f"http://127.0.0.1:{port}{scenario.path}")
    env = {key: value for key, value in os.environ.items() if key != "BENCH_BODIES_FILE"}
    if scenario.bodies:
        bodies_file = workdir / "bodies.txt"
        bodies_file.write_text("\n".join(scenario.bodies) + "\n")
        env["BENCH_BODIES_FILE"] = str(bodies_file)
    # S603 is safe here: wrk found by shutil.which, fixed arguments, no shell.
    proc = subprocess.run(  # noqa: S603
        cmd, env=env, text=True, capture_output=True, timeout=seconds + args.timeout_s + 60
    )
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    try:
        return report.parse_wrk_output(proc.stdout)
    except ValueError as exc:
        raise BenchError(f"{exc}\n{proc.stdout}\n{proc.stderr}") from exc


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Fraction of the machine's CPU time spent busy over `seconds` (from /proc/stat)."""

    def snapshot() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    try:
        idle0, total0 = snapshot()
        time.sleep(seconds)
        idle1, total1 = snapshot()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total > 0 else None


class CpuMeter:
    """Splits the machine's CPU time during a scenario into ours and others'.

    Ours: the gunicorn process group, PostgreSQL's processes, this process, and the
    waited-for children (wrk). Others: everything else busy meanwhile. From /proc.
    """

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.other: float | None = None

    @staticmethod
    def _machine() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return sum(values) - values[3] - values[4], sum(values)  # busy, total

    @staticmethod
    def _jiffies(pid: int, *, reaped_children: bool) -> int | None:
        """utime + stime, plus those of exited children it reaped (cutime + cstime) if asked."""
        try:
            fields = [int(v) for v in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:15]]
        except (OSError, IndexError, ValueError):
            return None
        return sum(fields) if reaped_children else fields[0] + fields[1]

    def _ours(self) -> dict[int, int]:
        # PostgreSQL and gunicorn with their reaped children (a backend or worker that ended
        # meanwhile is charged to its parent); this process without (wrk: RUSAGE_CHILDREN).
        ours = {os.getpid(): self._jiffies(os.getpid(), reaped_children=False)}
        for proc_dir in Path("/proc").iterdir():
            if not proc_dir.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                mine = (proc_dir / "comm").read_text().strip() == "postgres" or (
                    int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[2]) == self.server_pid
                )
                if mine:
                    ours[int(proc_dir.name)] = self._jiffies(int(proc_dir.name), reaped_children=True)
        return {pid: jiffies for pid, jiffies in ours.items() if jiffies is not None}

    def __enter__(self) -> CpuMeter:
        try:
            self._start = (self._machine(), self._ours(), resource.getrusage(resource.RUSAGE_CHILDREN))
        except (OSError, ValueError):
            self._start = None
        return self

    def __exit__(self, *exc_info) -> None:
        if self._start is None or exc_info[0] is not None:
            return
        try:
            (busy0, total0), ours0, usage0 = self._start
            (busy1, total1), ours1 = self._machine(), self._ours()
            usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        except (OSError, ValueError):
            return
        ticks = os.sysconf("SC_CLK_TCK")
        children = (usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime) * ticks
        ours = sum(j - ours0.get(pid, 0) for pid, j in ours1.items()) + children
        if total1 > total0:
            self.other = min(max((busy1 - busy0 - ours) / (total1 - total0), 0.0), 1.0)


def mode_env(name: str, args, env: dict[str, str]) -> dict[str, str]:
    return {**env, **ASGI_DB[args.asgi_db]} if name == "asgi" else env


def db_settings_label(env: dict[str, str]) -> str:
    if env.get("DATABASE_POOL", "").strip().lower() in {"true", "on", "ok", "y", "yes", "1"}:
        return (
            f"DATABASE_POOL=true (psycopg pool, {env.get('DATABASE_POOL_MIN_SIZE', '2')}-"
            f"{env.get('DATABASE_POOL_MAX_SIZE', '10')} connections per worker)"
        )
    age = env.get("CONN_MAX_AGE", "60")
    return "CONN_MAX_AGE=0 (a new connection per request)" if age == "0" else f"CONN_MAX_AGE={age} (persistent)"


@dataclass
class ModeRun:
    mode: Mode
    results: list[report.Result]
    cpu_busy_before: float | None
    db_settings: str


def bench_mode(name: str, *, wrk: str, args, env: dict[str, str], db: Database, workdir: Path) -> ModeRun:
    mode = MODES[name]
    env = mode_env(name, args, env)
    busy = cpu_busy()
    if busy is not None:
        log(f"CPU busy before {mode.name}: {busy:.0%}")
        if busy > 0.25:
            log("warning: something else is using the CPU; these numbers will be low and noisy")
    results = []
    log_path = workdir / f"gunicorn-{name}.log"
    with GunicornServer(mode, workers=args.workers, max_requests=args.max_requests, env=env, log_path=log_path) as srv:
        token = login_token(srv.port, ADMIN_EMAIL, ADMIN_PASSWORD)
        scenarios, login_users = build_scenarios(srv.port, token)
        for scenario in scenarios:
            preflight(srv.port, scenario)
        if args.warmup_s:
            log(f"  warm-up {args.warmup_s}s per GET")
            for scenario in scenarios:
                if not scenario.bodies:
                    run_wrk(wrk, srv.port, scenario, seconds=args.warmup_s, args=args, workdir=workdir)
        for scenario in scenarios:
            with ConnectionSampler(db) as sampler, CpuMeter(srv.proc.pid) as cpu:
                stats = run_wrk(wrk, srv.port, scenario, seconds=args.duration_s, args=args, workdir=workdir)
            result = report.Result(mode.name, scenario.endpoint, stats, sampler.peak, cpu.other)
            if scenario.bodies:
                result.notes.append(f"{login_users} users")
            results.append(result)
            log(
                f"  {mode.name} {scenario.endpoint}: {report.fmt_rate(stats.requests_per_second)} req/s, "
                f"p50 {report.fmt_ms(stats.latency_ms('p50'))} ms, p99 {report.fmt_ms(stats.latency_ms('p99'))} ms, "
                f"errors {report.fmt_errors(stats)}, peak DB connections {sampler.peak}, "
                f"other CPU {'n/a' if cpu.other is None else f'{cpu.other:.0%}'}"
            )
        if any(r.stats.error_total for r in results):
            log(f"  errors seen; the end of the gunicorn log:\n{srv.log_tail(lines=5)}")
    return ModeRun(mode, results, busy, db_settings_label(env))


# --- Facts for the report -----------------------------------------------------


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return "unknown RAM"


def _wrk_version(wrk: str) -> str:
    # S603 is safe here: wrk found by shutil.which, fixed arguments, no shell.
    proc = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)  # noqa: S603
    first = (proc.stdout or proc.stderr).splitlines()[:1]
    return first[0].split(" [")[0].replace("wrk ", "") if first else "unknown"


def machine_facts(wrk: str, db: Database) -> list[tuple[str, str]]:
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    http_impl = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop_impl = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return [
        ("Machine", f"{nproc} CPUs ({_cpu_model()}), {_memory_gib()}, {platform.system()} {platform.release()}"),
        (
            "Software",
            f"Python {platform.python_version()}, Django {_version('django')}, "
            f"DRF {_version('djangorestframework')}, gunicorn {_version('gunicorn')}, "
            f"uvicorn {_version('uvicorn')} + uvicorn-worker {_version('uvicorn-worker')} "
            f"(HTTP parser {http_impl}, event loop {loop_impl}), psycopg {_version('psycopg')}, "
            f"PostgreSQL {pg_server_version(db)}, wrk {_wrk_version(wrk)}",
        ),
    ]


HOW_TO_RUN = f"""
Needs wrk (`{WRK_INSTALL}`), PostgreSQL on 127.0.0.1:5432 (user `postgres`, trust) and Redis on
127.0.0.1:6379. Then:

```sh
make bench                                              # both modes, the defaults above
make bench BENCH_ARGS="--duration 30s --connections 16" # longer, more concurrent
make bench BENCH_ARGS="--modes asgi --workers 3"        # one mode, another worker count
make bench BENCH_ARGS="--fresh"                         # drop and re-create {BENCH_DB} first
DATABASE_URL=postgres://user:pass@host:5432/db make bench  # that database instead (never dropped)
LOG_LEVEL=INFO make bench                               # with the app's per-request log line on
.venv/bin/python -m bench --help                        # every option
```

The first run creates `{BENCH_DB}`, migrates it and seeds `--users` users (default 100,000: about
20 s here), then runs VACUUM ANALYZE; later runs reuse it and only seed what is missing. Options:
`--duration`, `--warmup`, `--connections`, `--threads`, `--timeout`, `--keepalive` (wrk);
`--workers`, `--max-requests`, `--modes`, `--asgi-db pool|close|persistent`, `--redis-db` (server);
`--users`, `--skip-seed`, `--fresh` (data); `--output PATH` (this file). `--asgi-db persistent`
reproduces the ASGI connection leak and exhausts PostgreSQL's `max_connections` (other users of that
server get errors too). gunicorn is always stopped at the end, also on errors and Ctrl-C.
Everything below the marker line at the end of this file is kept when it is regenerated.
"""


# --- Main ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if not wrk:
        log(f"wrk is not installed. Install it with:\n    {WRK_INSTALL}")
        return 2
    started = time.monotonic()
    try:
        return _run(args, wrk, started)
    except BenchError as exc:
        log(f"bench: error: {exc}")
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130


def _run(args, wrk: str, started: float) -> int:
    db = prepare_database(args.fresh)
    log(f"Database: {db.label}")
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        log(f"warning: Redis does not answer on 127.0.0.1:6379; REDIS_URL={redis_url} will fail if used")
    env = django_env(db, "bench-" + secrets.token_urlsafe(32), redis_url)
    user_count = prepare_data(args, env)
    vacuum_analyze(db)
    facts = machine_facts(wrk, db)
    runs: list[ModeRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name in args.mode_list:
            runs.append(bench_mode(name, wrk=wrk, args=args, env=env, db=db, workdir=Path(tmp)))
    elapsed = time.monotonic() - started
    results = [result for run in runs for result in run.results]

    connections = (
        "keep-alive (`--keepalive`: connections reused)"
        if args.keepalive
        else "`Connection: close` on every request (a new connection each time, as behind deploy/nginx.conf)"
    )
    login_users = next((r.notes[0] for r in results if r.notes), "seeded users")
    workers = ", ".join(f"{MODES[n].name}: {args.workers} x `{MODES[n].worker_class}`" for n in args.mode_list)
    facts = [
        ("Date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        *facts,
        ("Database", db.label),
        ("Users", f"{user_count:,} (seeded with `manage.py seed_users`) + 1 ADMIN whose token the /users calls use"),
        (
            "Server",
            f"gunicorn on 127.0.0.1 with `deploy/gunicorn.conf.py` (its access log is off by default); "
            f"{workers}; 1 thread per worker; max_requests {args.max_requests or 'off'}",
        ),
        (
            "App settings",
            f"DEBUG=false, AUTH_THROTTLE_RATE=none, REDIS_URL={redis_url}, ALLOWED_HOSTS=127.0.0.1, "
            f"LOG_LEVEL={env['LOG_LEVEL']} (so the app's own per-request log line is off too)",
        ),
        ("Database connections", "; ".join(f"{run.mode.name}: {run.db_settings}" for run in runs)),
        (
            "Load",
            f"wrk, {args.duration_s} s per scenario (after a {args.warmup_s} s warm-up of each GET), "
            f"{args.connections} connections, {args.threads} threads, {args.timeout_s} s timeout, {connections}; "
            f"wrk and gunicorn share the machine's CPUs; the login POSTs cycle through {login_users}, "
            f"password `{SEEDED_PASSWORD}` (each one an Argon2 check)",
        ),
        (
            "CPU busy just before each server started (other processes)",
            ", ".join(
                f"{run.mode.name}: {'n/a' if run.cpu_busy_before is None else f'{run.cpu_busy_before:.0%}'}"
                for run in runs
            ),
        ),
        ("Wall time of this run", f"{elapsed / 60:.1f} min (setup, seeding if any, both servers, every scenario)"),
    ]
    generated = report.render_document(title="Benchmarks", facts=facts, results=results, how_to_run=HOW_TO_RUN)
    output = Path(args.output)
    existing = output.read_text() if output.exists() else None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.join_document(generated, report.kept_notes(existing)))
    print(generated)
    log(f"Wrote {output} in {elapsed:.0f}s")
    return 0
