"""The main HTTP flows, each under gunicorn's sync (WSGI) and uvicorn (ASGI) workers."""

import uuid

import pytest

from .support import PASSWORD, login, new_email, path_of, register, verification_link

pytestmark = pytest.mark.integration


def test_health(server):
    response = server.get("/health")
    assert response.status == 200, response
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_register_verify_by_the_emailed_link_and_log_in(stack, server):
    address = new_email(f"flow-{server.name}")
    user = register(server, address)
    assert user["email"] == address
    assert user["role"] == "ANONYMOUS"
    assert not {"password", "token", "verification_token"} & set(user)
    assert login(server, address).status == 401

    link = verification_link(stack.mailbox.wait_for(address))
    assert link.startswith(f"{stack.base_url}/verify-email/{user['id']}/")
    response = server.get(path_of(link))
    assert response.status == 200, response
    assert response.json() == {"message": "Email verified successfully"}
    token = link.rsplit("/", 1)[-1]
    for process in (stack.wsgi.process, stack.asgi.process, stack.worker):
        assert token not in process.log(), f"verification token leaked into {process.name}'s log"
    assert f"/verify-email/{user['id']}/[redacted]" in server.process.log()

    response = login(server, address, PASSWORD)
    assert response.status == 200, response
    assert response.json()["token_type"] == "bearer"
    assert response.json()["access_token"]


def test_an_admin_lists_users_a_page_at_a_time(server, admin_token):
    response = server.get("/users/?skip=0&limit=10", token=admin_token)
    assert response.status == 200, response
    page = response.json()
    assert set(page) == {"items", "total", "page", "size", "links"}
    assert page["page"] == 1
    assert page["total"] >= 1
    assert page["size"] == len(page["items"]) <= 10
    links = {link["rel"]: link["href"] for link in page["links"]}
    assert links["self"] == links["first"] == f"{server.url}/users/?skip=0&limit=10"
    assert {"id", "email", "role", "links"} <= set(page["items"][0])


@pytest.mark.parametrize("user_id", [uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_user_is_a_json_404(server, admin_token, user_id):
    response = server.get(f"/users/{user_id}", token=admin_token)
    assert response.status == 404, response
    assert response.headers.get_content_type() == "application/json"
    assert response.json()["detail"]


def test_no_token_is_a_401(server):
    response = server.get("/users/?skip=0&limit=10")
    assert response.status == 401, response
    assert response.json()["detail"]
