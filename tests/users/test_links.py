"""The user resource's HATEOAS links offer exactly what the caller may do: each link
offered is an action that succeeds, and each action that succeeds is offered."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rels(body):
    return [link["rel"] for link in body["links"]]


@pytest.mark.parametrize("caller_traits", [{"admin": True}, {"manager": True}], ids=["admin", "manager"])
@pytest.mark.parametrize("target", ["self", "admin", "manager", "member"])
def test_links_are_the_actions_that_succeed(client_for, caller_traits, target):
    caller = UserFactory(**caller_traits)
    user = {
        "self": caller,
        "admin": UserFactory(admin=True),
        "manager": UserFactory(manager=True),
        "member": UserFactory(),
    }[target]
    client = client_for(caller)

    offered = rels(client.get(f"/users/{user.pk}").json())
    updated = client.put(f"/users/{user.pk}", {"bio": "Changed"}, format="json").status_code == 200
    deleted = client.delete(f"/users/{user.pk}").status_code == 204

    assert offered == ["self", *(["update"] if updated else []), *(["delete"] if deleted else [])]


def test_an_admin_is_offered_no_delete_of_their_own_account(admin_client_api, admin_user):
    other = UserFactory()

    own = admin_client_api.get(f"/users/{admin_user.pk}")
    page = admin_client_api.get("/users/").json()

    assert rels(own.json()) == ["self", "update"]
    assert admin_client_api.delete(f"/users/{admin_user.pk}").status_code == 400
    by_id = {item["id"]: rels(item) for item in page["items"]}
    assert by_id == {str(admin_user.pk): ["self", "update"], str(other.pk): ["self", "update", "delete"]}


def test_a_new_registrant_is_offered_no_logout(api_client):
    body = {"email": "newcomer@example.com", "password": "Secure*1234"}

    response = api_client.post("/register/", body, format="json")

    assert response.status_code == 201
    assert rels(response.json()) == ["self", "update", "close"]


def test_a_logged_in_member_is_offered_logout(user_client_api):
    assert rels(user_client_api.get("/users/me").json()) == ["self", "update", "close", "logout"]
