"""Persistent database connections without a health check per request (CONN_HEALTH_CHECKS
off): a connection that breaks costs at most one answered 503 per worker, never a hang or a
500, and the next requests get a new connection. Under WSGI and ASGI."""

import psycopg
import pytest

from .support import POSTGRES_ADMIN_DSN

pytestmark = pytest.mark.integration

WORKERS = 2  # tests/integration/support.py starts gunicorn with two workers


def _kill_app_connections(database_url: str) -> int:
    name = database_url.rsplit("/", 1)[-1]
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return len(rows)


def test_a_broken_connection_is_replaced_after_the_request_that_saw_it(stack, server, admin_token):
    # Every worker opens a connection (an earlier test may have broken the one it had).
    warm_up = [server.get("/users/?limit=1", token=admin_token).status for _ in range(16)]
    assert warm_up[-4:] == [200] * 4, warm_up

    assert _kill_app_connections(stack.database_url) >= 1
    statuses = [server.get("/users/?limit=1", token=admin_token).status for _ in range(16)]

    failed = [status for status in statuses if status != 200]
    assert set(failed) <= {503}, statuses
    assert len(failed) <= WORKERS, statuses  # one per worker at most: the request that found it broken
    # By now every worker has met its broken connection (or had none) and opened a new one.
    assert [server.get("/users/?limit=1", token=admin_token).status for _ in range(8)] == [200] * 8
