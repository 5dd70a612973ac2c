"""Fault policy on real processes (issue 8): the throttle's cache down and back, the
throttle shared by several gunicorn workers without Redis, and what /health reports
when the cache, the broker or the database does not answer."""

import contextlib
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import redis

from .support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    HOST,
    STARTUP_TIMEOUT,
    Process,
    app_env,
    free_port,
    login,
    new_email,
    start_server,
)

pytestmark = pytest.mark.integration

WRONG_PASSWORD = "Wr0ng!Password"


@contextlib.contextmanager
def running(*servers):
    """Stop the servers however the block ends."""
    try:
        yield servers
    finally:
        for server in servers:
            server.process.stop()


def wait_answering(server, timeout=STARTUP_TIMEOUT):
    """Wait until /health answers anything (it may be a 503 here)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.exited():
            raise RuntimeError(server.process.describe())
        with contextlib.suppress(OSError):
            return server.get("/health", timeout=5)
        time.sleep(0.1)
    raise TimeoutError(server.process.describe())


def start_redis(port, log_dir):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (CI is set, so this is an error)", pytrace=False)
        pytest.skip("needs the redis-server binary to bring Redis back on the closed port")
    args = ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    process = Process(f"redis-{port}", args, {"PATH": "/usr/bin:/bin:/usr/local/bin"}, log_dir / f"redis-{port}.log")
    client = redis.Redis(host=HOST, port=port, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            client.ping()
            return process
        except redis.RedisError:
            if time.monotonic() > deadline or process.exited():
                process.stop()
                raise RuntimeError(process.describe()) from None
            time.sleep(0.1)


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_cache_down_fails_open_then_throttles_again_when_redis_comes_back(database_url, log_dir, kind):
    port = free_port()
    env = app_env(
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://{HOST}:{port}/0",
        AUTH_THROTTLE_RATE="3/min",
        THROTTLE_CACHE_RETRY_SECONDS="1",
        GUNICORN_WORKERS="1",
    )
    server = start_server(kind, env, log_dir, label="-cache-down")
    with running(server):
        server.wait_healthy()
        health = server.get("/health").json()
        assert (health["status"], health["cache"]) == ("degraded", "unavailable"), health

        statuses = [login(server, ADMIN_EMAIL, ADMIN_PASSWORD).status for _ in range(5)]
        register = server.request("POST", "/register/", json_body={"email": new_email("cd"), "password": "Str0ng!pass"})
        assert statuses == [200] * 5, server.process.tail()
        assert register.status == 201, register
        assert server.process.log().count("Throttle cache unavailable") == 1

        redis_server = start_redis(port, log_dir)  # Redis comes back on the same address
        try:
            time.sleep(1.2)  # THROTTLE_CACHE_RETRY_SECONDS
            statuses = [login(server, ADMIN_EMAIL, ADMIN_PASSWORD).status for _ in range(4)]
            health = server.get("/health").json()
        finally:
            redis_server.stop()
        assert statuses == [200, 200, 200, 429], server.process.tail()
        assert health["cache"] == "ok", health
        assert "Throttle cache is back" in server.process.log()


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_without_redis_three_workers_share_one_throttle(database_url, app_db, log_dir, kind):
    app_db.execute("DELETE FROM event_manager_cache")  # the counters of other tests from 127.0.0.1
    env = app_env(DATABASE_URL=database_url, AUTH_THROTTLE_RATE="5/min", GUNICORN_WORKERS="3")
    env.pop("REDIS_URL", None)
    server = start_server(kind, env, log_dir, label="-3-workers")
    address = new_email("shared-throttle")
    with running(server):
        server.wait_healthy()
        assert server.get("/health").json()["cache"] == "ok"
        with ThreadPoolExecutor(3) as pool:  # three at a time, so every worker takes some
            statuses = list(pool.map(lambda _: login(server, address, WRONG_PASSWORD).status, range(20)))

    assert sorted(statuses) == [401] * 5 + [429] * 15, statuses


def test_health_reports_a_broker_that_does_not_answer_quickly(database_url, log_dir):
    env = app_env(DATABASE_URL=database_url, CELERY_BROKER_URL=f"redis://{HOST}:{free_port()}/0")
    server = start_server("asgi", env, log_dir, label="-no-broker")
    with running(server):
        server.wait_healthy()
        started = time.monotonic()
        response = server.get("/health")
        elapsed = time.monotonic() - started

    assert response.status == 200, response
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "ok", "broker": "unavailable"}
    assert elapsed < 2


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_health_is_503_without_the_database(log_dir, services, kind):
    env = app_env(DATABASE_URL=f"postgres://postgres@{HOST}:{free_port()}/nothing")
    server = start_server(kind, env, log_dir, label="-no-database")
    with running(server):
        response = wait_answering(server)

    assert response.status == 503, response
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("unavailable", "unavailable", "not configured")
    assert body["detail"] == "Database unavailable."


def signed_token(env):
    """An access token the server accepts as genuine (signed with its key), for an unknown user id."""
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex}
    return jwt.encode({**claims, "sub": str(uuid.uuid4()), "role": "ADMIN"}, env["SECRET_KEY"], algorithm="HS256")


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_api_answers_503_without_the_database(log_dir, services, kind):
    env = app_env(DATABASE_URL=f"postgres://postgres@{HOST}:{free_port()}/nothing", AUTH_THROTTLE_RATE="5/min")
    server = start_server(kind, env, log_dir, label="-no-database-api")
    with running(server):
        wait_answering(server)
        responses = [
            login(server, ADMIN_EMAIL, ADMIN_PASSWORD),
            server.request("POST", "/register/", json_body={"email": new_email("nodb"), "password": "Str0ng!pass"}),
            server.get("/users/?skip=0&limit=1", token=signed_token(env)),  # the user is read from the database
        ]
        log = server.process.log()

    for response in responses:
        assert response.status == 503, (response, log[-3000:])
        assert response.json() == {"detail": "Database unavailable."}
        assert response.headers["Retry-After"] == "5"
