"""A PostgreSQL backup restores: `manage.py backup` (pg_dump, custom format), `restore`
into a fresh database, `migrate`; every table has the same rows, and gunicorn serves
the restored database (health, and a login with a restored password hash)."""

import contextlib
import secrets

import psycopg
import pytest
from psycopg import sql

from .conftest import migrated_database
from .support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    POSTGRES_ADMIN_DSN,
    POSTGRES_URL,
    app_env,
    manage,
    start_server,
    token_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgresql]


def as_admin(statement: str, database: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(database)))


@contextlib.contextmanager
def empty_database():
    """A new database with nothing in it (conftest's `migrated_database` migrates its own)."""
    name = f"event_manager_restore_{secrets.token_hex(4)}"
    as_admin("CREATE DATABASE {}", name)
    try:
        yield f"{POSTGRES_URL}/{name}"
    finally:
        as_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        return {
            table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            for table in tables
        }


def test_backup_restore_migrate_serve(services, log_dir, tmp_path):
    dump = tmp_path / "drill.dump"
    with migrated_database() as source, empty_database() as target:
        source_env = app_env(DATABASE_URL=source, EMAIL_URL="dummymail://")
        manage(source_env, "seed_events", "--force", "--seed", "17")
        manage(source_env, "backup", "--output", str(dump))
        assert dump.read_bytes().startswith(b"PGDMP")

        target_env = app_env(DATABASE_URL=target)
        manage(target_env, "restore", str(dump), "--no-input")
        manage(target_env, "migrate", "--noinput", "-v0")

        before, after = row_counts(source), row_counts(target)
        assert after == before
        assert before["users_user"] > 1
        assert before["events_event"] > 0

        server = start_server("wsgi", target_env, log_dir, label="-restored")
        try:
            server.wait_healthy()
            assert token_for(server, ADMIN_EMAIL, ADMIN_PASSWORD)
        finally:
            server.process.stop()
