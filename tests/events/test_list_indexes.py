"""The event list's indexes (PostgreSQL only): the covering ones (events/migrations/0003) let
the count of visible events not yet ended be read from the index alone, without a heap
fetch per event; the GiST index on each event's time range (0004) finds the events running
now without walking the past (docs/benchmarks.md has the before/after of both)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import selectors
from tests.factories import UserFactory

from .conftest import EventFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

NAMES = {"events_list_starts_cover_idx", "events_list_ends_cover_idx"}


def test_the_migration_made_both_indexes_with_the_filter_columns():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events_event'")
        found = dict(cursor.fetchall())
    assert set(found) >= NAMES
    for name in NAMES:
        assert "INCLUDE (" in found[name]
        for column in ("status", "published_at", "created_by_id", "members_only", "id"):
            assert column in found[name].split("INCLUDE", 1)[1], (name, found[name])


def test_a_members_first_page_can_be_answered_from_the_indexes():
    now = timezone.now()
    for days in range(-30, 30):
        EventFactory(starts_at=now + timedelta(days=days), ends_at=now + timedelta(days=days, hours=2))
    member = UserFactory()
    with CaptureQueriesContext(connection) as captured:
        total, events = selectors.event_page(user=member, filters={"from": now}, limit=20)
    assert (total, len(events)) == (30, 20)
    [page] = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("WITH page")]
    with connection.cursor() as cursor:
        # Sixty events are read whole, and with statistics left behind by earlier tests the planner
        # may prefer the plain starts_at indexes (it did in CI). The question here is whether the
        # covering indexes can answer the page without the table, so: fresh statistics, no table
        # scans, and the two plain competitors dropped inside this test's transaction (rolled back).
        cursor.execute("ANALYZE events_event")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("DROP INDEX events_starts_idx, events_status_starts_idx")
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for name in NAMES:
        assert f"Index Only Scan using {name}" in plan, plan


def test_the_running_part_is_read_through_the_time_range_index():
    """events/migrations/0004: the events running now are found by the GiST index on their
    time range, not by walking every event begun before now (the whole past)."""
    now = timezone.now()
    for days in range(1, 300):
        EventFactory(starts_at=now - timedelta(days=days), ends_at=now - timedelta(days=days) + timedelta(hours=2))
    running = EventFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    EventFactory(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2))
    member = UserFactory()
    with CaptureQueriesContext(connection) as captured:
        total, events = selectors.event_page(user=member, filters={"from": now}, limit=20)
    assert (total, events[0].pk) == (2, running.pk)
    [page] = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("WITH page")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'events_running_range_idx'")
        assert "USING gist (tstzrange(starts_at, ends_at, '[]'::text))" in cursor.fetchone()[0]
        cursor.execute("ANALYZE events_event")  # fresh statistics (see the test above)
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using events_running_range_idx" in plan, plan
