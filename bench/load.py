"""The scenarios and their load: build them from real users, check each answers 2xx, run wrk
on them, and bench one mode end to end (server, warm-up, measured runs, samplers)."""

from __future__ import annotations

import functools
import json
import os
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench import ROOT, BenchError, log, portal, report
from bench.database import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MEMBER_EMAIL,
    MEMBER_PASSWORD,
    SEEDED_PASSWORD,
    ConnectionSampler,
    Database,
    autovacuum_on,
    churn,
    vacuum_users,
    wait_for_autovacuum,
)
from bench.machine import CpuMeter, cpu_busy
from bench.server import MODES, GunicornServer, Mode, db_settings_label, http_call, mode_env

LUA_SCRIPT = ROOT / "bench" / "wrk.lua"
DEEP_SKIP = 90_000


@dataclass
class Scenario:
    endpoint: str  # as shown in the table
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    bodies: list[str] | None = None  # POST bodies, cycled through
    content_type: str = "application/x-www-form-urlencoded"
    unique_bodies: bool = False  # each body sent once at most (sign-ups), not cycled
    # Each request once at most, as "path<TAB>Header: value<TAB>...": a path and headers of its
    # own (the portal's registrations: another member and event each time); `path` unused.
    requests: list[str] | None = None


def login_token(port: int, email: str, password: str) -> str:
    body = urlencode({"username": email, "password": password})
    status, data = http_call(
        port, "POST", "/login/", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body
    )
    if status != 200:
        raise BenchError(f"login as {email} answered {status}: {data[:300]!r} (try --fresh)")
    return json.loads(data)["access_token"]


def member_scenarios(port: int) -> list[Scenario]:
    """A member's event list (20 a page) and one event they hold a seat for."""
    auth = {"Authorization": f"Bearer {login_token(port, MEMBER_EMAIL, MEMBER_PASSWORD)}"}
    status, data = http_call(port, "GET", "/events/?mine=true&limit=1", headers=auth)
    items = json.loads(data)["items"] if status == 200 else []
    if not items:
        raise BenchError(f"GET /events/?mine=true as {MEMBER_EMAIL} answered {status} with no event: {data[:300]!r}")
    return [
        Scenario("GET /events/?limit=20 (member)", "/events/?limit=20", headers=auth),
        Scenario("GET /events/{id} (member)", f"/events/{items[0]['id']}", headers=auth),
    ]


def build_scenarios(port: int, token: str) -> tuple[list[Scenario], int]:
    """The scenarios, with a real user id and real seeded users' credentials."""
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
        *member_scenarios(port),
        Scenario("POST /login/ (form)", "/login/", method="POST", bodies=bodies),
        Scenario(
            "POST /register/",
            "/register/",
            method="POST",
            bodies=register_bodies(),
            content_type="application/json",
            unique_bodies=True,
        ),
    ]
    return scenarios, len(bodies)


def register_bodies(count: int = 5_000) -> list[str]:
    """Sign-ups with addresses no run has used (each run its own random prefix): more than a
    10 s run can send at the hashing rate, so no body repeats."""
    run = secrets.token_hex(4)
    return [json.dumps({"email": f"bench.{run}.{i}@example.com", "password": "Bench*Signup1"}) for i in range(count)]


def preflight(port: int, scenario: Scenario) -> None:
    """One request first: the scenario must answer 2xx (wrk does not count 3xx as errors)."""
    headers = dict(scenario.headers)
    body = None
    if scenario.requests:
        path, *extra = scenario.requests.pop(0).split("\t")
        headers.update(line.split(": ", 1) for line in extra)
        scenario = Scenario(scenario.endpoint, path, scenario.method, headers, scenario.bodies)
        headers = dict(scenario.headers)
    if scenario.bodies:
        headers["Content-Type"] = scenario.content_type
        body = scenario.bodies.pop(0) if scenario.unique_bodies else scenario.bodies[0]
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
    env = {key: value for key, value in os.environ.items() if not key.startswith("BENCH_")}
    if scenario.bodies:
        bodies_file = workdir / "bodies.txt"
        bodies_file.write_text("\n".join(scenario.bodies) + "\n")
        env["BENCH_BODIES_FILE"] = str(bodies_file)
        env["BENCH_CONTENT_TYPE"] = scenario.content_type
        env["BENCH_THREADS"] = str(args.threads)
        if scenario.unique_bodies:
            env["BENCH_UNIQUE"] = "1"
    if scenario.requests:
        requests_file = workdir / "requests.txt"
        requests_file.write_text("\n".join(scenario.requests) + "\n")
        env["BENCH_REQUESTS_FILE"] = str(requests_file)
        env["BENCH_METHOD"] = scenario.method
        env["BENCH_THREADS"] = str(args.threads)
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


def _measure(mode, srv, scenario: Scenario, *, wrk, args, db, workdir, endpoint: str | None = None):
    with ConnectionSampler(db) as sampler, CpuMeter(srv.proc.pid) as cpu:
        stats = run_wrk(wrk, srv.port, scenario, seconds=args.duration_s, args=args, workdir=workdir)
    result = report.Result(mode.name, endpoint or scenario.endpoint, stats, sampler.peak, cpu.other, cpu.app)
    log(
        f"  {mode.name} {result.endpoint}: {report.fmt_rate(stats.requests_per_second)} req/s, "
        f"p50 {report.fmt_ms(stats.latency_ms('p50'))} ms, p99 {report.fmt_ms(stats.latency_ms('p99'))} ms, "
        f"app CPU {report.fmt_ms(result.app_cpu_ms_per_request)} ms/req, errors {report.fmt_errors(stats)}, "
        f"peak DB connections {sampler.peak}, other CPU {'n/a' if cpu.other is None else f'{cpu.other:.0%}'}"
    )
    return result


def churn_phase(measure, deep: Scenario, *, args, db: Database) -> list[report.Result]:
    """The deep page right after `--churn` users were inserted and deleted, then again once
    autovacuum has vacuumed the table (waiting at most `--autovacuum-wait`). A server with
    autovacuum off gets the VACUUM autovacuum would have run, and the report says so."""
    log(f"  churn: inserting and deleting {args.churn:,} users")
    started = time.time()
    churn(db, args.churn)
    results = [measure(deep, endpoint=f"{deep.endpoint}, right after a churn of {args.churn:,} users")]
    if not autovacuum_on(db):
        log("  autovacuum is off on this PostgreSQL server: running the VACUUM it would have run")
        vacuum_users(db)
        return [*results, measure(deep, endpoint=f"{deep.endpoint}, after VACUUM (autovacuum off on this server)")]
    waited = wait_for_autovacuum(db, started, args.autovacuum_wait_s)
    if waited is None:
        log(f"  autovacuum did not vacuum users_user within {args.autovacuum_wait_s}s")
        return results
    after = f"{deep.endpoint}, once autovacuum ran ({waited:.0f} s after the churn)"
    return [*results, measure(deep, endpoint=after)]


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
        if args.portal_only:
            scenarios, login_users = [], 0
        else:
            scenarios, login_users = build_scenarios(srv.port, token=login_token(srv.port, ADMIN_EMAIL, ADMIN_PASSWORD))
        portal_state, portal_prefix = portal.prepare(env)
        scenarios += portal.scenarios(portal_state, Scenario)
        for scenario in scenarios:
            preflight(srv.port, scenario)
        if args.warmup_s:
            log(f"  warm-up {args.warmup_s}s per GET")
            for scenario in scenarios:
                if not scenario.bodies and not scenario.requests:
                    run_wrk(wrk, srv.port, scenario, seconds=args.warmup_s, args=args, workdir=workdir)
        measure = functools.partial(_measure, mode, srv, wrk=wrk, args=args, db=db, workdir=workdir)
        for scenario in scenarios:
            result = measure(scenario)
            if scenario.bodies:
                result.notes.append(f"{login_users} users")
            results.append(result)
        portal.cleanup(env, portal_prefix)
        if args.churn and not args.portal_only:
            results += churn_phase(measure, scenarios[2], args=args, db=db)
        if any(r.stats.error_total for r in results):
            log(f"  errors seen; the end of the gunicorn log:\n{srv.log_tail(lines=5)}")
    if not args.portal_only:
        results.append(bare_reference(mode, wrk=wrk, args=args, env=env, db=db, workdir=workdir))
    return ModeRun(mode, results, busy, db_settings_label(env))


BARE_ENDPOINT = "GET / of a bare app answering 'ok' (this server's ceiling here)"


def bare_reference(mode: Mode, *, wrk: str, args, env: dict[str, str], db: Database, workdir: Path) -> report.Result:
    """The same server, workers and load serving bench.hello: the rate nothing of the app's slows."""
    bare = mode.bare()
    log_path = workdir / f"bare-{mode.name.replace(' ', '-')}.log"
    with GunicornServer(bare, workers=args.workers, max_requests=args.max_requests, env=env, log_path=log_path) as srv:
        scenario = Scenario(BARE_ENDPOINT, "/")
        preflight(srv.port, scenario)
        if args.warmup_s:
            run_wrk(wrk, srv.port, scenario, seconds=args.warmup_s, args=args, workdir=workdir)
        return _measure(mode, srv, scenario, wrk=wrk, args=args, db=db, workdir=workdir)
