"""The user counter's triggers (see `UserCount`): created by migration 0004 and
checked after every `migrate`, because SQLite drops a table's triggers when a
later migration rebuilds the table (it does that to add or alter a column)."""

from django.db import connections

POSTGRESQL = """
CREATE OR REPLACE FUNCTION users_usercount_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users_usercount SET total = total + (SELECT count(*) FROM changed_rows) WHERE id = 1;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION users_usercount_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users_usercount SET total = total - (SELECT count(*) FROM changed_rows) WHERE id = 1;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION users_usercount_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users_usercount SET total = 0 WHERE id = 1;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS users_user_count_insert ON users_user;
DROP TRIGGER IF EXISTS users_user_count_delete ON users_user;
DROP TRIGGER IF EXISTS users_user_count_truncate ON users_user;
CREATE TRIGGER users_user_count_insert AFTER INSERT ON users_user
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION users_usercount_add();
CREATE TRIGGER users_user_count_delete AFTER DELETE ON users_user
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION users_usercount_remove();
CREATE TRIGGER users_user_count_truncate AFTER TRUNCATE ON users_user
    FOR EACH STATEMENT EXECUTE FUNCTION users_usercount_reset();
"""
SQLITE = (
    """CREATE TRIGGER IF NOT EXISTS users_user_count_insert AFTER INSERT ON users_user
       BEGIN UPDATE users_usercount SET total = total + 1 WHERE id = 1; END""",
    """CREATE TRIGGER IF NOT EXISTS users_user_count_delete AFTER DELETE ON users_user
       BEGIN UPDATE users_usercount SET total = total - 1 WHERE id = 1; END""",
)
TRIGGER_NAMES = ("users_user_count_insert", "users_user_count_delete")
RECOUNT = (
    # (`WHERE true`: SQLite needs it to parse an upsert from a SELECT.)
    "INSERT INTO users_usercount (id, total) SELECT 1, count(*) FROM users_user WHERE true "
    "ON CONFLICT (id) DO UPDATE SET total = excluded.total"
)


def _missing_triggers(cursor, vendor) -> bool:
    if vendor == "postgresql":
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users_user'::regclass AND tgname = ANY(%s)",
            [list(TRIGGER_NAMES)],
        )
    else:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s)", list(TRIGGER_NAMES)
        )
    return cursor.fetchone()[0] < len(TRIGGER_NAMES)


def ensure_triggers(using="default") -> bool:
    """Create the triggers if any is missing and recount; return whether it had to."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"No user-count triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        if "users_usercount" not in connection.introspection.table_names(cursor):
            return False  # before migration 0004
        if not _missing_triggers(cursor, connection.vendor):
            return False
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL)
        else:
            for statement in SQLITE:
                cursor.execute(statement)
        cursor.execute(RECOUNT)
    return True
