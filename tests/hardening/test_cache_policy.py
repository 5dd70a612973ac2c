"""Fault policy for the cache: the throttle fails open while its cache is down (one
warning), and throttles again once the cache answers. Without Redis, the counters live
in the database cache table, shared by every worker."""

import logging
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import throttling
from tests.factories import PASSWORD, UserFactory

from .conftest import DATABASE_CACHE, redis_cache

pytestmark = pytest.mark.django_db


def login(client, user, password=PASSWORD):
    return client.post("/login/", {"username": user.email, "password": password})


def test_login_register_and_verify_do_not_fail_while_redis_is_down(api_client, settings, closed_port, caplog):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/0")
    settings.AUTH_THROTTLE_RATE = "2/min"
    user = UserFactory()
    caplog.set_level(logging.WARNING, logger="users.throttling")

    statuses = [login(api_client, user).status_code for _ in range(4)]
    register = api_client.post("/register/", {"email": "new@example.com", "password": PASSWORD}, format="json")
    verify = api_client.get(f"/verify-email/{user.pk}/1-bad")

    assert statuses == [200] * 4  # fails open: served, unthrottled
    assert register.status_code == 201, register.content
    assert verify.status_code == 400, verify.content  # the ordinary answer for a bad link
    warnings = [r for r in caplog.records if r.name == "users.throttling"]
    assert len(warnings) == 1  # one warning for the outage, not one per request
    assert "Throttle cache unavailable" in warnings[0].getMessage()


def test_an_outage_costs_at_most_one_timeout_per_retry_period(api_client, settings, closed_port):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/0")
    settings.AUTH_THROTTLE_RATE = "2/min"
    user = UserFactory()
    login(api_client, user)

    assert throttling.outage.skip()  # within THROTTLE_CACHE_RETRY_SECONDS the cache is not even tried
    started = time.monotonic()
    for _ in range(5):
        assert login(api_client, user).status_code == 200
    assert time.monotonic() - started < 5 * settings.REDIS_TIMEOUT


def test_throttling_resumes_when_redis_comes_back(api_client, settings, closed_port, redis_url, caplog):
    settings.THROTTLE_CACHE_RETRY_SECONDS = 0
    settings.AUTH_THROTTLE_RATE = "2/min"
    user = UserFactory()
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/0")
    assert [login(api_client, user).status_code for _ in range(3)] == [200] * 3

    settings.CACHES = redis_cache(redis_url)  # Redis answers again
    caplog.set_level(logging.WARNING, logger="users.throttling")
    statuses = [login(api_client, user).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert any("Throttle cache is back" in r.getMessage() for r in caplog.records)


def test_without_redis_the_counters_are_in_the_database_cache_table(api_client, settings):
    settings.CACHES = DATABASE_CACHE
    settings.AUTH_THROTTLE_RATE = "5/min"
    user = UserFactory()

    statuses = [login(api_client, user, "Wr0ng!pass").status_code for _ in range(8)]

    assert statuses == [401] * 3 + [400] * 2 + [429] * 3  # 3 wrong passwords lock; then throttled
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM event_manager_cache WHERE cache_key LIKE %s", ["%throttle_auth_%"])
        keys = [key for (key,) in cursor.fetchall()]
    assert len(keys) == 1 + 1 + 5, keys  # the window's start, the taken-slots hint, five slots


def test_cost_of_a_throttled_request_on_the_database_cache(api_client, settings):
    """A counted request reads the window and the hint, then adds a slot and moves the
    hint (each write: a count for culling, a read and an upsert); a refused one only reads."""
    settings.CACHES = DATABASE_CACHE
    settings.AUTH_THROTTLE_RATE = "5/min"
    user = UserFactory()
    login(api_client, user)

    with CaptureQueriesContext(connection) as queries:
        api_client.post("/login/", {"username": user.email, "password": PASSWORD})
    counted = [q["sql"] for q in queries if "event_manager_cache" in q["sql"]]
    for _ in range(4):
        login(api_client, user)
    with CaptureQueriesContext(connection) as queries:
        assert login(api_client, user).status_code == 429
    refused = [q["sql"] for q in queries if "event_manager_cache" in q["sql"]]

    assert len(counted) == 2 + 2 * 3, counted
    assert len(refused) == 2, refused


def test_settings_default_to_a_shared_cache():
    """Production settings: no REDIS_URL means the database cache, never a per-process one."""
    import subprocess
    import sys

    from django.conf import settings as django_settings

    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {"DJANGO_SETTINGS_MODULE": "event_manager.settings", "SECRET_KEY": "x" * 50, "PATH": "/usr/bin:/bin"}
    without = subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    with_redis = subprocess.run(
        [sys.executable, "-c", code + "; print(settings.CACHES['default']['OPTIONS'])"],
        cwd=django_settings.BASE_DIR,
        env={**env, "REDIS_URL": "redis://127.0.0.1:6379/0"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert without.stdout.strip() == "django.core.cache.backends.db.DatabaseCache", without.stderr
    assert "RedisCache" in with_redis.stdout and "'socket_timeout': 0.5" in with_redis.stdout, with_redis.stderr
