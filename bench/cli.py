"""`python -m bench`: seed a PostgreSQL database, serve the app with gunicorn (WSGI, then
ASGI), load it with wrk, print a Markdown report and write it to docs/benchmarks.md.

Progress goes to stderr; stdout gets only the Markdown report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path

from bench import ROOT, BenchError, instrumentation, log, portal, report
from bench.admin import admin_timings
from bench.admin import describe as describe_admin
from bench.database import (
    BENCH_DB,
    LOCAL_SERVER,
    MEMBER_EMAIL,
    SEEDED_PASSWORD,
    django_env,
    prepare_data,
    prepare_database,
    prepare_events,
    vacuum_analyze,
)
from bench.load import BARE_ENDPOINT, ModeRun, bench_mode
from bench.machine import load_now, machine_facts
from bench.server import ASGI_DB, MODES

DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
WRK_INSTALL = "sudo apt-get update && sudo apt-get install -y wrk"


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
    parser.add_argument(
        "--modes",
        default="wsgi,asgi",
        help="comma-separated, of: wsgi (gunicorn sync), asgi (gunicorn + uvicorn workers), gthread "
        "(gunicorn, 4 threads a worker), granian-wsgi, granian-asgi (default wsgi,asgi)",
    )
    parser.add_argument(
        "--asgi-db",
        choices=sorted(ASGI_DB),
        default="persistent",
        help="database connections under ASGI: persistent = the settings' default CONN_MAX_AGE=60 (default; one "
        "connection per worker with event_manager.asgi), pool = DATABASE_POOL=true, close = CONN_MAX_AGE=0",
    )
    parser.add_argument("--redis-db", type=int, default=15, help="Redis database number for REDIS_URL (default 15)")
    parser.add_argument(
        "--churn",
        type=int,
        default=3_000,
        help="users inserted and deleted before measuring the deep page again, then once more after "
        "autovacuum ran (default 3000; 0 = no churn phase)",
    )
    parser.add_argument(
        "--autovacuum-wait",
        default="90s",
        help="how long the churn phase waits for autovacuum before giving up (default 90s)",
    )
    parser.add_argument(
        "--portal-only",
        action="store_true",
        help="only the member pages' scenarios (event list, event page, registration post; session cookie), "
        "no API scenarios and no churn phase",
    )
    parser.add_argument("--skip-seed", action="store_true", help="do not seed users, use what is in the database")
    parser.add_argument(
        "--instrumentation-only",
        action="store_true",
        help="only the cost of the metrics instrumentation per request (in-process A/B, METRICS_ENABLED on and "
        "off): no wrk, no seeding, no servers; replaces that section of the output file and nothing else",
    )
    parser.add_argument(
        "--instrumentation-rounds",
        type=int,
        default=15,
        help="interleaved on/off rounds of the instrumentation phase (default 15)",
    )
    parser.add_argument(
        "--instrumentation-requests",
        type=int,
        default=200,
        help="requests per endpoint per round and per setting in the instrumentation phase (default 200)",
    )
    parser.add_argument(
        "--admin-timings", action="store_true", help="also time the admin's user list and search (in-process)"
    )
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
        args.autovacuum_wait_s = report.parse_duration(args.autovacuum_wait)
        args.warmup_s = 0 if str(args.warmup).strip() in {"0", "0s"} else report.parse_duration(args.warmup)
    except ValueError as exc:
        parser.error(str(exc))
    args.mode_list = [name.strip().lower() for name in args.modes.split(",") if name.strip()]
    unknown = [name for name in args.mode_list if name not in MODES]
    if unknown or not args.mode_list:
        parser.error(f"--modes takes {', '.join(MODES)}, not {args.modes!r}")
    if args.threads < 1 or args.connections < args.threads:
        parser.error("--connections must be at least --threads, and --threads at least 1")
    if args.workers < 1 or args.users < 0 or args.churn < 0:
        parser.error("--workers must be at least 1, --users and --churn at least 0")
    if args.instrumentation_rounds < 1 or args.instrumentation_requests < 1:
        parser.error("--instrumentation-rounds and --instrumentation-requests must be at least 1")
    return args


HOW_TO_RUN = f"""
Needs wrk (`{WRK_INSTALL}`), PostgreSQL on 127.0.0.1:5432 (user `postgres`, trust) and Redis on
127.0.0.1:6379. Then:

```sh
make bench                                              # both modes, the defaults above
make bench BENCH_ARGS="--duration 30s --connections 16" # longer, more concurrent
make bench BENCH_ARGS="--modes asgi --workers 3"        # one mode, another worker count
make bench BENCH_ARGS="--fresh"                         # drop and re-create {BENCH_DB} first
make bench BENCH_ARGS="--instrumentation-only"          # only the metrics' cost per request (no wrk)
DATABASE_URL=postgres://user:pass@host:5432/db make bench  # that database instead (never dropped)
LOG_LEVEL=INFO make bench                               # with the app's per-request log line on
.venv/bin/python -m bench --help                        # every option
```

The first run creates `{BENCH_DB}`, migrates it and seeds `--users` users (default 100,000: about
20 s here) and 10,000 approved events with a member holding seats (the /events calls), then runs
VACUUM ANALYZE; later runs reuse it and only seed what is missing. Options:
`--duration`, `--warmup`, `--connections`, `--threads`, `--timeout`, `--keepalive` (wrk);
`--workers`, `--max-requests`, `--modes wsgi,asgi,gthread,granian-wsgi,granian-asgi`,
`--asgi-db persistent|pool|close`, `--redis-db` (server); `--users` (e.g. 1000000), `--skip-seed`,
`--fresh` (data); `--churn` (users inserted and deleted before the deep page is measured again,
default 3000; 0 = off), `--autovacuum-wait` (how long to wait for autovacuum after it, default
90s); `--admin-timings` (the admin's user list and search, timed in-process); `--portal-only` (only the
member pages' three scenarios: event list, event page, registration post, with a session cookie);
`--instrumentation-only`, `--instrumentation-rounds` (default 15), `--instrumentation-requests` (default
200): the cost of the metrics instrumentation per request, an in-process A/B with METRICS_ENABLED on and off
(part of every run; alone, it needs no wrk and no seeding, and replaces only its own section of this file);
`--output PATH` (this file). The server is always stopped at the end, also on errors and Ctrl-C.
After each mode's scenarios the same server, workers and wrk settings serve `bench/hello.py`, an
app that answers "ok" and does nothing else: its row is that server's ceiling on this machine in
this run, and the header gives GET /users/{{id}} as a share of it (comparable across machines).
Everything below the marker line at the end of this file is kept when it is regenerated.
"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.instrumentation_only:
        try:
            return _run_instrumentation_only(args)
        except BenchError as exc:
            log(f"bench: error: {exc}")
            return 1
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
    event_count = prepare_events(env)
    portal.collect_static(env)
    vacuum_analyze(db)
    facts = machine_facts(wrk, db)
    admin = admin_timings(env) if args.admin_timings else None
    portal_times = portal.timings(env)
    cost = _instrumentation_section(args, env)
    runs: list[ModeRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name in args.mode_list:
            runs.append(bench_mode(name, wrk=wrk, args=args, env=env, db=db, workdir=Path(tmp)))
    elapsed = time.monotonic() - started
    results = [result for run in runs for result in run.results]
    shares = bare_shares(runs)

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
            "Events",
            f"{event_count:,} (approved, half past and half upcoming); the /events calls use the token of "
            f"`{MEMBER_EMAIL}` (role AUTHENTICATED, a seat in 10 of them)",
        ),
        (
            "Churn phase",
            f"{args.churn:,} users inserted and deleted (in SQL) after the other scenarios of each server, then "
            f"the deep page again, and once more when autovacuum has vacuumed `users_user` (waiting at most "
            f"{args.autovacuum_wait_s} s)"
            if args.churn
            else "off (`--churn 0`)",
        ),
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
        *([("Admin (in-process, median of 5 after a warm-up)", describe_admin(admin))] if admin else []),
        ("Member pages, server time (in-process)", portal.describe(portal_times)),
        *([("GET /users/{id} as a share of the bare app on the same server", shares)] if shares else []),
        ("Wall time of this run", f"{elapsed / 60:.1f} min (setup, seeding if any, both servers, every scenario)"),
    ]
    generated = report.render_document(
        title="Benchmarks", facts=facts, results=results, how_to_run=HOW_TO_RUN, instrumentation=cost
    )
    output = Path(args.output)
    existing = output.read_text() if output.exists() else None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.join_document(generated, report.kept_notes(existing)))
    print(generated)
    log(f"Wrote {output} in {elapsed:.0f}s")
    return 0


def bare_shares(runs: list[ModeRun]) -> str:
    """ "WSGI 9.8 % (1,383 of 14,100 req/s); ..." for each mode that measured both."""
    parts = []
    for run in runs:
        rates = {r.endpoint: r.stats.requests_per_second for r in run.results}
        app, bare = rates.get("GET /users/{id}"), rates.get(BARE_ENDPOINT)
        if app and bare:
            parts.append(f"{run.mode.name} {app / bare:.1%} ({report.fmt_rate(app)} of {report.fmt_rate(bare)} req/s)")
    return "; ".join(parts)


def _instrumentation_section(args, env: dict[str, str]) -> str:
    before = load_now()
    runs = instrumentation.measure(env, rounds=args.instrumentation_rounds, requests=args.instrumentation_requests)
    load = f"before: {before}; after: {load_now()}"
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return report.render_instrumentation(runs, requests=args.instrumentation_requests, load=load, date=date)


def _run_instrumentation_only(args) -> int:
    """The instrumentation phase alone: its section of the output file replaced, the rest kept."""
    started = time.monotonic()
    db = prepare_database(args.fresh)
    log(f"Database: {db.label}")
    env = django_env(db, "bench-" + secrets.token_urlsafe(32), f"redis://127.0.0.1:6379/{args.redis_db}")
    args.skip_seed = True
    prepare_data(args, env)  # migrate, and the bench ADMIN whose token GET /users/{id} uses
    section = _instrumentation_section(args, env)
    output = Path(args.output)
    existing = output.read_text() if output.exists() else "# Benchmarks\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.replace_instrumentation(existing, section))
    print(section)
    log(f"Wrote {output} in {time.monotonic() - started:.0f}s")
    return 0
