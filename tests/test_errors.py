"""Every error is JSON with a `detail` string and never shows a traceback, SQL or a hash."""

import uuid

import pytest
from django.db import ProgrammingError

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LEAKS = ("Traceback", "SELECT", "INSERT", "UPDATE ", "users_user", "md5$", "argon2", "pbkdf2", 'File "/')


def assert_clean_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    text = response.content.decode()
    for leak in LEAKS:
        assert leak not in text, leak
    return body


def test_debug_is_off(settings):
    assert settings.DEBUG is False


@pytest.mark.parametrize(
    "path",
    ["/nope", "/nope/", "/users/abc/def", "/api/users/", "/users/x.json", "/static/missing.js.map", "/verify-email/x"],
)
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_unknown_path_is_json_404(api_client, path, accept):
    response = api_client.get(path, HTTP_ACCEPT=accept)

    assert_clean_error(response, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/register/"),
        ("delete", "/register"),
        ("get", "/login/"),
        ("put", "/login"),
        ("post", "/verify-email/{id}/1-abc"),
        ("delete", "/users/"),
        ("put", "/users"),
        ("post", "/users/{id}"),
        ("post", "/health"),
    ],
)
def test_method_not_allowed_is_405_with_detail(admin_client_api, admin_user, method, path):
    response = getattr(admin_client_api, method)(path.format(id=admin_user.pk), {}, format="json")

    body = assert_clean_error(response, 405)
    assert method.upper() in body["detail"]
    assert method.upper() not in response["Allow"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/register/", "text/plain"),
        ("/register/", "application/x-www-form-urlencoded"),
        ("/register/", "application/xml"),
        ("/login/", "text/plain"),
        ("/users/", "text/plain"),
        ("/users/{id}", "application/xml"),
    ],
)
def test_unsupported_content_type_is_415_with_detail(admin_client_api, admin_user, path, content_type):
    method = "PUT" if "{id}" in path else "POST"

    response = admin_client_api.generic(method, path.format(id=admin_user.pk), "email=x", content_type=content_type)

    body = assert_clean_error(response, 415)
    assert content_type.split(";")[0] in body["detail"]


def _error_requests():
    """(name, make_request(client, admin_user) -> response, expected status)."""
    return [
        ("bad-json", lambda c, u: c.generic("POST", "/register/", "{", content_type="application/json"), 400),
        ("weak-password", lambda c, u: c.post("/register/", {"email": "a@example.com", "password": "x"}), 400),
        (
            "duplicate-email",
            lambda c, u: c.post("/register/", {"email": u.email.upper(), "password": "Secure*1234"}),
            400,
        ),
        ("login-wrong", lambda c, u: c.post("/login/", {"username": u.email, "password": "Wrong*1x"}), 401),
        ("login-unknown", lambda c, u: c.post("/login/", {"username": "no@example.com", "password": PASSWORD}), 401),
        ("verify-wrong", lambda c, u: c.get(f"/verify-email/{u.pk}/1-abc"), 400),
        ("verify-non-uuid", lambda c, u: c.get("/verify-email/xyz/1-abc"), 404),
        ("no-token", lambda c, u: c.get("/users/"), 401),
        ("bad-token", lambda c, u: c.get("/users/", HTTP_AUTHORIZATION="Bearer x.y.z"), 401),
        ("unknown-user", lambda c, u: c.get(f"/users/{uuid.uuid4()}", HTTP_AUTHORIZATION=u.bearer), 404),
        ("bad-skip", lambda c, u: c.get("/users/?skip=-1", HTTP_AUTHORIZATION=u.bearer), 400),
        ("empty-update", lambda c, u: c.put(f"/users/{u.pk}", {}, HTTP_AUTHORIZATION=u.bearer), 400),
        ("delete-self", lambda c, u: c.delete(f"/users/{u.pk}", HTTP_AUTHORIZATION=u.bearer), 400),
    ]


@pytest.mark.parametrize(
    ("make_request", "status"), [r[1:] for r in _error_requests()], ids=[r[0] for r in _error_requests()]
)
def test_error_bodies_never_leak_internals(api_client, admin_token, admin_user, make_request, status):
    api_client.default_format = "json"
    admin_user.bearer = f"Bearer {admin_token}"

    assert_clean_error(make_request(api_client, admin_user), status)


@pytest.mark.parametrize(
    "exception",
    [
        RuntimeError("boom at md5$abc$def"),
        ProgrammingError('relation "users_user" does not exist LINE 1: SELECT "users_user"."password" FROM ...'),
        KeyError("password"),
    ],
    ids=["runtime", "database", "key"],
)
@pytest.mark.parametrize("endpoint", ["register", "users"])
def test_unexpected_exception_is_a_clean_json_500(api_client, admin_client_api, monkeypatch, exception, endpoint):
    def explode(**kwargs):
        raise exception

    if endpoint == "register":
        monkeypatch.setattr("users.api.auth.user_register", explode)
        client, path = api_client, "/register/"
    else:
        monkeypatch.setattr("users.api.staff.user_create", explode)
        client, path = admin_client_api, "/users/"
    client.raise_request_exception = False

    response = client.post(path, {"email": "x@example.com", "password": "Secure*1234"}, format="json")

    assert_clean_error(response, 500)


def test_validation_error_names_fields_beside_detail(api_client):
    UserFactory(email="taken@example.com")

    response = api_client.post("/register/", {"email": "TAKEN@example.com", "password": "short"}, format="json")

    body = assert_clean_error(response, 400)
    assert "Email already exists" in body["detail"]
    assert set(body) >= {"detail", "email", "password"}
    assert all(isinstance(message, str) for message in body["email"] + body["password"])
