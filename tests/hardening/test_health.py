"""/health reports each dependency; only the database makes it a 503 (the real-process
cases, database down included, are in tests/integration/test_faults.py)."""

import time

import pytest

from .conftest import DATABASE_CACHE, redis_cache

pytestmark = pytest.mark.django_db


def health(client):
    started = time.monotonic()
    response = client.get("/health")
    return response, time.monotonic() - started


def test_embedded_defaults(api_client, settings):
    settings.CACHES = DATABASE_CACHE
    response, _ = health(api_client)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "not configured"}


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_broker_that_does_not_answer_is_reported_quickly(api_client, settings, closed_port, scheme):
    settings.CELERY_BROKER_URL = f"{scheme}://127.0.0.1:{closed_port}/0"
    response, elapsed = health(api_client)

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "ok", "broker": "unavailable"}
    assert elapsed < 1.5


def test_a_broker_that_answers(api_client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response, _ = health(api_client)

    assert response.json()["broker"] == "ok"
    assert response.json()["status"] == "ok"


def test_cache_down_is_degraded_not_down(api_client, settings, closed_port, redis_url):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/0")
    response, elapsed = health(api_client)

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unavailable",
        "broker": "not configured",
    }
    assert elapsed < 1.5

    settings.CACHES = redis_cache(redis_url)
    assert health(api_client)[0].json()["cache"] == "ok"


def test_health_is_not_throttled(api_client, settings):
    settings.AUTH_THROTTLE_RATE = "1/min"

    assert [api_client.get("/health").status_code for _ in range(3)] == [200] * 3
