"""The upcoming-only page (`from` at the present, as the member pages ask) skips the past
part of the list's query and gives the same page as the whole list cut at the present."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events import selectors
from tests.events.conftest import EventFactory
from tests.factories import UserFactory


@pytest.mark.parametrize("skip", [0, 2, 5])
def test_the_upcoming_page_is_the_whole_list_without_what_has_ended(db, skip):
    now = timezone.now()
    for hours in (-50, -30, -3, -1, 2, 5, 9, 30, 70):
        EventFactory(starts_at=now + timedelta(hours=hours), ends_at=now + timedelta(hours=hours + 2))
    member = UserFactory()
    everything = selectors.event_list(user=member)
    expected = [event.pk for event in everything if event.ends_at >= now]

    total, page = selectors.event_page(user=member, filters={"from": timezone.now()}, skip=skip, limit=3)

    assert total == len(expected) == 6  # running now (-1 h) and five not begun
    assert [event.pk for event in page] == expected[skip : skip + 3]


def test_a_past_from_keeps_the_three_parts(db):
    now = timezone.now()
    ended = EventFactory(starts_at=now - timedelta(hours=5), ends_at=now - timedelta(hours=4))
    coming = EventFactory(starts_at=now + timedelta(hours=5), ends_at=now + timedelta(hours=6))
    total, page = selectors.event_page(user=UserFactory(), filters={"from": now - timedelta(days=1)})
    assert total == 2
    assert [event.pk for event in page] == [coming.pk, ended.pk]  # upcoming first, then the past


def test_running_at_the_split_includes_its_last_instant_and_not_its_first(db):
    """The running part is `starts_at < split <= ends_at` (on PostgreSQL through the GiST
    index on the time range, events/migrations/0004): an event ending at the split is still
    running, one starting at it is upcoming, and how long ago a running event began does not
    matter."""
    split = timezone.now() + timedelta(hours=1)  # a `from` in the future: the parts split there
    ending = EventFactory(starts_at=split - timedelta(hours=1), ends_at=split)
    starting = EventFactory(starts_at=split, ends_at=split + timedelta(hours=1))
    long_running = EventFactory(starts_at=split - timedelta(days=400), ends_at=split + timedelta(days=1))
    EventFactory(starts_at=split - timedelta(hours=2), ends_at=split - timedelta(seconds=1))  # ended before it
    later = EventFactory(starts_at=split + timedelta(days=2), ends_at=split + timedelta(days=2, hours=1))

    total, page = selectors.event_page(user=UserFactory(), filters={"from": split})

    assert total == 4
    assert [event.pk for event in page] == [long_running.pk, ending.pk, starting.pk, later.pk]
