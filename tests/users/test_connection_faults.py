"""PATCH /users/me with the database connection terminated at each point of the request
(`tests.connection_faults`): a 200 only for a change the database holds, a 503 only for
one it does not (issue 19, item 5). Under WSGI and ASGI; PostgreSQL only."""

from types import SimpleNamespace

import pytest

from tests.connection_faults import each_point
from tests.factories import UserFactory
from users.models import User

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
