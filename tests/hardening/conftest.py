import os

import pytest
import redis

from core import throttling
from tests.integration.support import REDIS_URL, RedisDatabases, free_port


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on: connections are refused at once."""
    return free_port()


@pytest.fixture
def redis_url():
    """An empty database of the local Redis (flushed afterwards); fails under CI when Redis is down."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL}: {exc} (CI is set, so this is an error)", pytrace=False)
        pytest.skip(f"needs Redis at {REDIS_URL}: {exc}")
    databases = RedisDatabases()
    url = databases.claim()
    yield url
    databases.release_all()


@pytest.fixture(autouse=True)
def _fresh_outage(monkeypatch):
    """Each test starts with the throttle believing its cache is up."""
    monkeypatch.setattr(throttling, "outage", throttling.CacheOutage())


def redis_cache(url):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "event_manager_cache"}
}
