import pytest

from notifications.tasks import retry_delay


@pytest.mark.parametrize(("retries", "low", "high"), [(0, 4, 6), (1, 8, 12), (3, 32, 48), (20, 480, 720)])
def test_retry_delay_backs_off_exponentially_with_a_cap(retries, low, high):
    assert low <= retry_delay(retries) <= high
