"""The events API follows the project's async view pattern: under ASGI, one thread hop for
authentication and permissions and one for the handler's database work; no event loop under WSGI."""

import pytest
from asgiref import sync

from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from tests.servers import ASGIAPIClient
from users.authentication import access_token_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/events/", 200),
        ("get", "/events/{id}", 200),
        ("post", "/events/{id}/registrations", 201),
        ("get", "/events/{id}.ics", 200),
        ("get", "/users/me/registrations", 200),
    ],
)
def test_two_hops_per_request_under_asgi(hops, method, path, status):
    event = EventFactory()
    client = ASGIAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(UserFactory())}")
    hops.clear()
    response = getattr(client, method)(path.format(id=event.pk))
    assert response.status_code == status, response.content
    assert len(hops) == 2, hops


def test_views_are_coroutines_with_a_plain_function_for_wsgi():
    from django.urls import resolve

    for path in ("/events/", "/events/00000000-0000-0000-0000-000000000000.ics", "/users/me/events.ics"):
        view = resolve(path).func
        assert not sync.iscoroutinefunction(view)
        assert sync.iscoroutinefunction(view.async_variant)
