"""Session fixtures starting the real stack: a dedicated PostgreSQL database, Redis
databases, a loopback SMTP server, a Celery worker and two gunicorn instances.

The stack never uses the suite's database (SQLite or PostgreSQL): it migrates its
own, `event_manager_it_<hex>`, and drops it at the end. When PostgreSQL or Redis is
unreachable the tests are skipped, or fail under CI.
"""

import contextlib
import importlib.util
import os
import secrets

import psycopg
import pytest
import redis
from psycopg import sql

from .support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    HOST,
    POSTGRES_ADMIN_DSN,
    POSTGRES_URL,
    REDIS_URL,
    RUNNING,
    Mailbox,
    RedisDatabases,
    Stack,
    app_env,
    free_port,
    manage,
    smtp_server,
    start_server,
    start_worker,
    token_for,
    wait_worker_ready,
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test shows the tail of every running process's log."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for process in RUNNING:
            report.sections.append((f"log of {process.name} ({process.log_path})", process.tail()))


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def services():
    """PostgreSQL and Redis on 127.0.0.1 answer, and the ASGI worker class is installed."""
    problems = []
    try:
        psycopg.connect(POSTGRES_ADMIN_DSN).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL at {POSTGRES_URL}: {exc}".strip())
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis at {REDIS_URL}: {exc}")
    if problems:
        _unavailable("integration tests need local services: " + "; ".join(problems))
    if importlib.util.find_spec("uvicorn_worker") is None:
        pytest.fail("uvicorn_worker is not installed (requirements.txt: uvicorn-worker)", pytrace=False)


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("integration-logs")


@pytest.fixture(scope="session")
def redis_databases(services):
    databases = RedisDatabases()
    yield databases
    databases.release_all()


@contextlib.contextmanager
def migrated_database():
    """A new PostgreSQL database, migrated, with an ADMIN made by `createsuperuser`; dropped after."""
    name = f"event_manager_it_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = f"{POSTGRES_URL}/{name}"
        env = app_env(DATABASE_URL=url)
        manage(env, "migrate", "--noinput", "-v0")
        manage(
            {**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
            "createsuperuser",
            "--noinput",
            "--email",
            ADMIN_EMAIL,
        )
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(
    params=[pytest.param("sqlite", marks=pytest.mark.sqlite), pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def either_database(request, tmp_path):
    """(kind, url): a new SQLite file or PostgreSQL database, migrated, with the ADMIN, as
    `make run` leaves it; each test runs on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        manage(app_env(DATABASE_URL=url), "migrate", "--noinput", "-v0")
        env = {**app_env(DATABASE_URL=url), "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD}
        manage(env, "createsuperuser", "--noinput", "--email", ADMIN_EMAIL)
        yield request.param, url
        return
    request.getfixturevalue("services")
    with migrated_database() as url:
        yield request.param, url


@pytest.fixture(scope="session")
def database_url(services):
    """The stack's database (see `migrated_database`)."""
    with migrated_database() as url:
        yield url


@pytest.fixture(scope="module")
def isolated_servers(services, redis_databases, log_dir):
    """A WSGI and an ASGI instance on a database of their own, for tests that break
    database connections (the shared stack's worker and servers must not notice)."""
    cache_url = redis_databases.claim()
    try:
        with migrated_database() as url, _stopped_afterwards():
            env = app_env(DATABASE_URL=url, REDIS_URL=cache_url)
            servers = {kind: start_server(kind, env, log_dir, label="-isolated") for kind in ("wsgi", "asgi")}
            _wait(*(server.wait_healthy for server in servers.values()))
            yield url, servers
    finally:
        redis_databases.release(cache_url)


@pytest.fixture
def app_db(database_url):
    """A direct connection to the stack's database, to look at rows the API does not show."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def mailbox(services):
    with smtp_server(Mailbox()) as mailbox:
        yield mailbox


@contextlib.contextmanager
def _stopped_afterwards():
    """Every process started in the block is stopped when it ends, however it ends."""
    mark = len(RUNNING)
    try:
        yield
    finally:
        started = RUNNING[mark:]
        for process in started:
            process.terminate()
        for process in started:
            process.stop()


def _wait(*waits):
    """Wait for processes started together; a failure shows the process's log."""
    problem = None
    try:
        for wait in waits:
            wait()
    except (RuntimeError, TimeoutError) as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def stack(database_url, redis_databases, mailbox, log_dir):
    wsgi_port = free_port()
    env = app_env(
        DATABASE_URL=database_url,
        REDIS_URL=redis_databases.claim(),
        CELERY_BROKER_URL=redis_databases.claim(),
        EMAIL_URL=f"smtp://{HOST}:{mailbox.port}",
        SERVER_BASE_URL=f"http://{HOST}:{wsgi_port}",
    )
    with _stopped_afterwards():
        worker = start_worker(env, log_dir)
        wsgi = start_server("wsgi", env, log_dir, port=wsgi_port)
        asgi = start_server("asgi", env, log_dir)
        _wait(wsgi.wait_healthy, asgi.wait_healthy, lambda: wait_worker_ready(worker))
        yield Stack(env=env, wsgi=wsgi, asgi=asgi, worker=worker, mailbox=mailbox, database_url=database_url)


@pytest.fixture(params=["wsgi", "asgi"])
def server(request, stack):
    return stack.server(request.param)


@pytest.fixture(scope="session")
def admin_token(stack):
    return token_for(stack.wsgi, ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture
def throttled_pair(stack, redis_databases, log_dir):
    """Another WSGI and ASGI instance at AUTH_THROTTLE_RATE=5/min, sharing a Redis
    database of their own (flushed afterwards) so no other test spends their budget."""
    cache_url = redis_databases.claim()
    env = {**stack.env, "AUTH_THROTTLE_RATE": "5/min", "REDIS_URL": cache_url}
    try:
        with _stopped_afterwards():
            wsgi = start_server("wsgi", env, log_dir, label="-throttled")
            asgi = start_server("asgi", env, log_dir, label="-throttled")
            _wait(wsgi.wait_healthy, asgi.wait_healthy)
            yield wsgi, asgi
    finally:
        redis_databases.release(cache_url)
