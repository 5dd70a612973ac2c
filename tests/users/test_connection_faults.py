"""PATCH /users/me and POST /login/ with the database connection terminated at each point of
the request (`tests.connection_faults`): a 200 only for a change the database holds, a 503
only for one it does not (issue 19, item 5). Under WSGI and ASGI; PostgreSQL only."""

import itertools
from types import SimpleNamespace

import pytest

from mfa import devices
from notifications.models import OutgoingEmail
from tests.connection_faults import each_point
from tests.factories import PASSWORD, UserFactory
from users.models import RefreshSession, User
from users.notices import NEW_DEVICE

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("data", [{"first_name": "Ada"}, {"email": "new-address@example.com"}], ids=["name", "email"])
def test_patch_me(client_for, data):
    def setup():
        user = UserFactory(first_name="Grace")
        return SimpleNamespace(user=user, client=client_for(user))

    def request(state):
        body = {"email": f"{state.user.pk}@example.com"} if "email" in data else data
        return state.client.patch("/users/me", body, format="json")

    def check(state, response):
        user = User.objects.get(pk=state.user.pk)
        changed = user.first_name == "Ada" if "first_name" in data else bool(user.pending_email)
        assert response.status_code == (200 if changed else 503), (response.status_code, response.data)
        if changed:
            assert response.json()["first_name"] == user.first_name

    seen = each_point(setup, request, check)
    assert {status for _, status in seen} == {200, 503}


def test_login_from_a_new_device(api_client):
    """The notice of a new device is sent only with a session the answer hands over: never a
    503 to a login whose notice committed (issue 19)."""

    addresses = itertools.count(1)

    def setup():
        user = UserFactory()
        devices.device_seen(user=user, kind="api", identity="curl|198.51.100.0/24", label="curl")
        return SimpleNamespace(user=user, address=f"203.0.113.{next(addresses)}")  # one per request: no throttle

    def request(state):
        body = {"username": state.user.email, "password": PASSWORD}
        return api_client.post(
            "/login/", body, format="json", HTTP_USER_AGENT="Firefox/128.0", REMOTE_ADDR=state.address
        )

    def check(state, response):
        sessions = RefreshSession.objects.filter(user=state.user).count()
        told = OutgoingEmail.objects.filter(user=state.user, kind=NEW_DEVICE).count()
        assert response.status_code == (200 if sessions else 503), (response.status_code, response.data)
        assert (sessions, told) in {(0, 0), (1, 1)}  # the notice only with the session
        if sessions:
            assert set(response.json()) >= {"access_token", "refresh_token"}

    seen = each_point(setup, request, check)
    assert {status for _, status in seen} == {200, 503}
