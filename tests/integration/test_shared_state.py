"""Two instances, WSGI and ASGI, share one PostgreSQL database and one Redis: lockout,
throttling and role changes made through one hold on the other."""

import pytest

from .support import MAX_LOGIN_ATTEMPTS, login, new_email, register_and_verify, token_for

pytestmark = pytest.mark.integration

DIRECTIONS = pytest.mark.parametrize(("first", "second"), [("wsgi", "asgi"), ("asgi", "wsgi")])
LOCKED = "Account locked due to too many failed login attempts."
WRONG_PASSWORD = "Wr0ng!Password"


@DIRECTIONS
def test_an_account_locked_through_one_instance_is_locked_on_the_other(stack, first, second):
    first, second = stack.server(first), stack.server(second)
    _, address = register_and_verify(stack, first, "locked")

    for _ in range(MAX_LOGIN_ATTEMPTS):
        response = login(first, address, WRONG_PASSWORD)
        assert response.status == 401, response
        assert "Incorrect email or password." in response.json()["detail"]

    response = login(second, address)
    assert response.status == 400, response
    assert response.json()["detail"] == LOCKED


def test_the_auth_throttle_counts_requests_to_both_instances(throttled_pair):
    wsgi, asgi = throttled_pair
    address = new_email("throttled")

    for number in range(5):
        response = login((wsgi, asgi)[number % 2], address, WRONG_PASSWORD)
        assert response.status == 401, f"request {number + 1}: {response}"

    for server in (asgi, wsgi):
        response = login(server, address, WRONG_PASSWORD)
        assert response.status == 429, f"{server.name}: {response}"
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert response.json()["detail"]


@DIRECTIONS
def test_a_role_change_through_one_instance_applies_on_the_other_to_an_old_token(stack, admin_token, first, second):
    first, second = stack.server(first), stack.server(second)
    user, address = register_and_verify(stack, second, "promoted")
    token = token_for(second, address)
    assert second.get("/users/?skip=0&limit=1", token=token).status == 403

    for role, status in [("MANAGER", 200), ("AUTHENTICATED", 403)]:
        response = first.request("PUT", f"/users/{user['id']}", json_body={"role": role}, token=admin_token)
        assert response.status == 200, response
        assert response.json()["role"] == role
        assert second.get("/users/?skip=0&limit=1", token=token).status == status, role
