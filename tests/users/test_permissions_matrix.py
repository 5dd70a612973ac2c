"""Who may call which /users/ endpoint, with real tokens for every role."""

import pytest

from tests.factories import UserFactory
from users.models import Role, User

pytestmark = pytest.mark.django_db

NO_TOKEN = "no-token"
ROLES = [NO_TOKEN, Role.ANONYMOUS, Role.AUTHENTICATED, Role.MANAGER, Role.ADMIN]
NEW_USER = {"email": "matrix.new@example.com", "password": "Secure*1234"}

ENDPOINTS = {
    "list": ("get", lambda target: "/users/", None, 200),
    "create": ("post", lambda target: "/users/", NEW_USER, 201),
    "retrieve": ("get", lambda target: f"/users/{target.pk}", None, 200),
    "update": ("put", lambda target: f"/users/{target.pk}", {"bio": "Changed"}, 200),
    "partial_update": ("patch", lambda target: f"/users/{target.pk}", {"bio": "Changed"}, 200),
    "delete": ("delete", lambda target: f"/users/{target.pk}", None, 204),
}


def expected_status(role, success):
    if role == NO_TOKEN:
        return 401
    if role in (Role.ANONYMOUS, Role.AUTHENTICATED):
        return 403
    return success


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(api_client, client_for, role, endpoint):
    method, path, data, success = ENDPOINTS[endpoint]
    target = UserFactory(role=Role.AUTHENTICATED, bio="Original")
    if role == NO_TOKEN:
        client = api_client
    else:
        client = client_for(UserFactory(role=role, email_verified=role != Role.ANONYMOUS))

    response = getattr(client, method)(path(target), data, format="json")

    expected = expected_status(role, success)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert isinstance(response.json()["detail"], str)
        target.refresh_from_db()
        assert target.bio == "Original"
        assert not User.objects.filter(email=NEW_USER["email"]).exists()
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", ["update", "partial_update", "delete"])
@pytest.mark.parametrize(
    ("actor_role", "target_role", "expected"),
    [
        (Role.MANAGER, Role.ADMIN, 403),
        (Role.MANAGER, Role.MANAGER, None),
        (Role.MANAGER, Role.AUTHENTICATED, None),
        (Role.MANAGER, Role.ANONYMOUS, None),
        (Role.ADMIN, Role.ADMIN, None),
        (Role.ADMIN, Role.MANAGER, None),
        (Role.ADMIN, Role.AUTHENTICATED, None),
    ],
)
def test_staff_on_staff_matrix(client_for, endpoint, actor_role, target_role, expected):
    method, path, data, success = ENDPOINTS[endpoint]
    target = UserFactory(role=target_role, bio="Original")
    client = client_for(UserFactory(role=actor_role))

    response = getattr(client, method)(path(target), data, format="json")

    assert response.status_code == (expected or success), response.content
    assert User.objects.filter(pk=target.pk).exists() is (response.status_code != 204)


@pytest.mark.parametrize("endpoint", ["create", "update", "partial_update"])
@pytest.mark.parametrize(("actor_role", "expected"), [(Role.MANAGER, 403), (Role.ADMIN, None)])
def test_sending_role_matrix(client_for, endpoint, actor_role, expected):
    method, path, data, success = ENDPOINTS[endpoint]
    target = UserFactory(role=Role.AUTHENTICATED)
    actor = UserFactory(role=actor_role)

    response = getattr(client_for(actor), method)(path(target), {**data, "role": Role.MANAGER}, format="json")

    assert response.status_code == (expected or success), response.content
    assert User.objects.filter(role=Role.MANAGER).exclude(pk=actor.pk).exists() is (expected is None)
