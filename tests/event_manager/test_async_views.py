"""The async view pattern: coroutines under ASGI with few thread hops, no event loop under WSGI."""

import asyncio

import pytest
from asgiref import sync
from django.urls import resolve
from rest_framework.test import APIClient

from core import concurrency
from tests.factories import UserFactory
from tests.servers import ASGIAPIClient
from users.authentication import access_token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def loops(monkeypatch):
    """Counts event loops started for a request (asgiref's AsyncToSync calls)."""
    counted = []
    original = sync.AsyncToSync.__call__

    def counting(self, *args, **kwargs):
        counted.append(self.awaitable)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sync.AsyncToSync, "__call__", counting)
    return counted


def _asgi_client(user):
    client = ASGIAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


def test_api_views_are_coroutines_with_a_plain_function_for_wsgi():
    view = resolve("/users/").func

    assert not sync.iscoroutinefunction(view)
    assert sync.iscoroutinefunction(view.async_variant)


def test_under_asgi_a_read_hops_to_a_thread_only_for_its_database_work(hops):
    admin, target = UserFactory(admin=True), UserFactory()

    response = _asgi_client(admin).get(f"/users/{target.pk}")

    assert response.status_code == 200
    # Authentication + permissions, which read the target with the token's user: one
    # hop; no middleware, no lookup and no rendering in a thread.
    assert len(hops) == 1, hops


def test_under_asgi_password_hashing_is_offloaded(monkeypatch):
    user = UserFactory()
    offloaded = []
    original = concurrency.offload

    def spy(fn, /, *args, **kwargs):
        offloaded.append(fn.__name__)
        return original(fn, *args, **kwargs)

    monkeypatch.setattr("users.api.auth.offload", spy)

    ASGIAPIClient().post("/login/", {"username": user.email, "password": "x"}, format="json")

    assert offloaded == ["user_login"]


def test_under_wsgi_no_event_loop_is_started(loops):
    admin, target = UserFactory(admin=True), UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(admin)}")

    response = client.get(f"/users/{target.pk}")

    assert response.status_code == 200
    assert loops == []


def test_drive_refuses_a_coroutine_that_really_suspends():
    async def suspends():
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="under WSGI"):
        concurrency.drive(suspends())
