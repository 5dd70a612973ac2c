"""Throttle refusals are counted for the operator page without making a refusal cost more."""

from django.core.cache import cache

from core import throttling


def day_key():
    from django.utils import timezone

    return throttling.REFUSALS_KEY.format(timezone.localdate().isoformat())


def test_refusals_wait_in_the_process_and_reach_the_shared_count_when_read(db):
    throttling.refusal_tally.flush()  # what earlier tests refused, then a clean count
    cache.delete(day_key())
    for _ in range(3):
        throttling.count_refusal()
    assert cache.get(day_key()) is None  # a refusal wrote nothing
    assert throttling.refusals_today() == 3
    assert throttling.refusals_today() == 3  # flushed once, not twice


def test_a_minute_of_refusals_is_added_to_the_shared_count_without_a_read(db, monkeypatch):
    throttling.refusal_tally.flush()
    cache.delete(day_key())
    clock = [1000.0]
    monkeypatch.setattr(throttling.time, "monotonic", lambda: clock[0])
    throttling.count_refusal()
    throttling.count_refusal()
    assert cache.get(day_key()) is None
    clock[0] += throttling.REFUSALS_FLUSH_SECONDS
    throttling.count_refusal()
    assert cache.get(day_key()) == 3
