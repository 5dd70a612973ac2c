"""Covering indexes for the event list (PostgreSQL only).

The list's page query walks `starts_at` for the events running now (started before the
split, not yet ended: ~5,000 index rows at 10,000 events) and counts the visible events
not yet ended. Both read each row's heap tuple for the visibility filter (status,
published_at, creator, members-only) — ~5,000 buffers a request. With those columns
carried in the index the two parts are index-only scans (no heap fetch while autovacuum
keeps the visibility map current): the member's first page query 6.8 → 2.9 ms at
10,000 events (docs/benchmarks.md). SQLite has no covering indexes; its plain
`events_starts_idx` serves it as before.

Built CONCURRENTLY (the migration is not atomic), so writes to events go on meanwhile.
"""

from django.db import migrations

CARRIED = "status, published_at, created_by_id, members_only, id"
INDEXES = {
    "events_list_starts_cover_idx": f"(starts_at) INCLUDE (ends_at, {CARRIED})",
    "events_list_ends_cover_idx": f"(ends_at) INCLUDE (starts_at, {CARRIED})",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON events_event {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("events", "0002_venue_time_zone_and_members_only")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
