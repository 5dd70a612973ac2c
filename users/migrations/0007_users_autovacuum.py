"""Autovacuum settings for the users table, PostgreSQL only (issue 18, item 4).

Deep pages of GET /users/ walk the ordering index backwards as an index-only scan,
which stays cheap only while the visibility map says the heap pages are all visible.
Sign-ups (inserts) and deleted accounts clear it; with the defaults (20 % of the table
dead, or 20 % inserted) autovacuum waits for ~20,000 changes on 100,000 users, and the
deep page makes one heap fetch per row until then. Here a vacuum follows 500 dead rows
or 1,000 inserts instead, whatever the table's size (within `autovacuum_naptime` of the
server, 1 min by default). SQLite has no autovacuum: a no-op there.
"""

from django.db import migrations

SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "500",
    "autovacuum_vacuum_insert_scale_factor": "0",
    "autovacuum_vacuum_insert_threshold": "1000",
    "autovacuum_analyze_scale_factor": "0.02",
}


def tune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("users", "User")._meta.db_table)
    pairs = ", ".join(f"{name} = {value}" for name, value in SETTINGS.items())
    schema_editor.execute(f"ALTER TABLE {table} SET ({pairs})")


def reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("users", "User")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(SETTINGS)})")


class Migration(migrations.Migration):
    dependencies = [("users", "0006_user_search_trigram")]

    operations = [migrations.RunPython(tune, reset, elidable=False)]
