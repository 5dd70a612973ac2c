"""Trigram indexes for `q` on GET /users/ (email, nickname, names), PostgreSQL only.

`icontains` compiles to `UPPER(column::text) LIKE UPPER('%…%')`; a GIN index on
the same expression with `gin_trgm_ops` answers it without scanning the table.
SQLite has no such index: there `q` scans, which is fine at its scale.
"""

from django.db import migrations

COLUMNS = ("email", "nickname", "first_name", "last_name")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS users_user_{column}_trgm ON users_user USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS users_user_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("users", "0005_account_sessions_and_filters")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
