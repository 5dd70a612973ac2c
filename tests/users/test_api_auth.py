"""Registration, email verification, login and throttling, through the HTTP API."""

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import PASSWORD, UserFactory
from users.models import Role, User
from users.tokens import email_verification_token

pytestmark = pytest.mark.django_db

NEW_USER = {
    "email": "new.member@example.com",
    "password": "Secure*1234",
    "nickname": "new_member",
    "first_name": "New",
    "last_name": "Member",
    "bio": "Likes events.",
    "profile_picture_url": "https://example.com/p/new.jpg",
    "linkedin_profile_url": "https://linkedin.com/in/newmember",
    "github_profile_url": "https://github.com/newmember",
}
LOGIN_FAILED = "Incorrect email or password."
LOCKED = "Account locked due to too many failed login attempts."
SECRET_MARKERS = ("password", "md5$", "argon2", "pbkdf2")
TOKEN_RE = re.compile(r"[0-9a-z]{1,13}-[0-9a-f]{32}")


def register(api_client, path="/register/", **overrides):
    return api_client.post(path, {**NEW_USER, **overrides}, format="json")


def assert_user_links(body, host="http://testserver"):
    href = f"{host}/users/{body['id']}"
    assert body["links"] == [
        {"rel": "self", "href": href, "method": "GET", "action": "view"},
        {"rel": "update", "href": href, "method": "PUT", "action": "update"},
        {"rel": "delete", "href": href, "method": "DELETE", "action": "delete"},
    ]


def verification_link(message):
    """The verification URL in the message's text and HTML parts (they must agree)."""
    pattern = re.escape(settings.SERVER_BASE_URL) + r"/verify-email/([0-9a-f-]{36})/([0-9a-z]+-[0-9a-f]+)"
    text_links = re.findall(pattern, message.body)
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    html_links = re.findall(pattern, html)
    assert text_links and html_links
    assert set(text_links) == set(html_links)
    return text_links[0]


# --- Registration -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/register/", "/register"])
def test_register_creates_an_anonymous_unverified_user(api_client, path):
    response = register(api_client, path)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == Role.ANONYMOUS
    assert body["email_verified"] is False
    assert body["is_locked"] is False
    assert body["email"] == NEW_USER["email"]
    assert body["nickname"] == NEW_USER["nickname"]
    for field in ("first_name", "last_name", "bio", "profile_picture_url", "linkedin_profile_url"):
        assert body[field] == NEW_USER[field]
    uuid.UUID(body["id"])
    for stamp in ("created_at", "updated_at"):
        assert datetime.fromisoformat(body[stamp]).tzinfo is not None
    # The new member's own resource: its links are what they may do once logged in (/users/me).
    assert [(link["rel"], link["href"]) for link in body["links"][:3]] == [
        (rel, "http://testserver/users/me") for rel in ("self", "update", "close")
    ]
    user = User.objects.get(pk=body["id"])
    assert user.check_password(NEW_USER["password"])
    assert user.role == Role.ANONYMOUS


def test_register_response_never_contains_password_hash_or_token(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client)

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(pk=body["id"])
    text = response.content.decode()
    assert not {"password", "password_hash", "hashed_password", "token", "verification_token"} & set(body)
    assert NEW_USER["password"] not in text
    assert user.password not in text
    assert not any(marker in text for marker in SECRET_MARKERS)
    assert not TOKEN_RE.search(text)


def test_register_generates_nickname_when_absent(api_client):
    payload = {key: value for key, value in NEW_USER.items() if key != "nickname"}
    response = api_client.post("/register/", payload, format="json")

    assert response.status_code == 201, response.content
    nickname = response.json()["nickname"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{3,50}", nickname)
    assert User.objects.get(nickname=nickname).email == NEW_USER["email"]


def test_register_with_only_email_and_password(api_client):
    response = api_client.post(
        "/register/", {"email": "minimal@example.com", "password": NEW_USER["password"]}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    for field in (
        "first_name",
        "last_name",
        "bio",
        "profile_picture_url",
        "linkedin_profile_url",
        "github_profile_url",
    ):
        assert body[field] is None


@pytest.mark.parametrize("email", ["new.member@example.com", "NEW.MEMBER@EXAMPLE.COM", "New.Member@Example.com"])
def test_register_duplicate_email_in_any_case_is_400(api_client, email):
    UserFactory(email="new.member@example.com")

    response = register(api_client, email=email, nickname="someone_else")

    assert response.status_code == 400
    body = response.json()
    assert "Email already exists" in body["detail"]
    assert "email" in body
    assert User.objects.by_email(email).count() == 1


def test_register_duplicate_nickname_is_400(api_client):
    UserFactory(nickname="taken_name")

    response = register(api_client, nickname="taken_name")

    assert response.status_code == 400
    assert "nickname" in response.json()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "email"),
        ("email", "", ""),
        ("password", "Ab1*xyz", "too short"),
        ("password", "secure*1234", "upper-case"),
        ("password", "SECURE*1234", "lower-case"),
        ("password", "Secure*Password", "digit"),
        ("password", "Secure12345", "special"),
        ("password", "P@ssw0rd", "too common"),
        ("password", "", ""),
        ("nickname", "ab", "Nickname"),
        ("nickname", "bad nick!", "Nickname"),
        ("nickname", "x" * 51, ""),
        ("profile_picture_url", "https://example.com/p/john.txt", ".jpg"),
        ("profile_picture_url", "https://example.com/p/john", ".jpg"),
        ("profile_picture_url", "ftp://example.com/p/john.jpg", ""),
        ("profile_picture_url", "not a url.png", ""),
        ("linkedin_profile_url", "ftp://linkedin.com/in/johndoe", ""),
        ("linkedin_profile_url", "javascript:alert(1)", ""),
        ("github_profile_url", "ftp://github.com/johndoe", ""),
        ("first_name", "x" * 101, ""),
        ("last_name", "x" * 101, ""),
        ("bio", "x" * 501, ""),
    ],
    ids=lambda value: value[:20] if isinstance(value, str) else value,
)
def test_register_validation_names_the_field(api_client, field, value, message):
    response = register(api_client, **{field: value})

    assert response.status_code in (400, 422), response.content
    body = response.json()
    assert field in body, body
    assert isinstance(body["detail"], str) and field in body["detail"]
    assert message.lower() in " ".join(body[field]).lower()
    assert not User.objects.exists()


def test_register_password_similar_to_email_is_refused(api_client):
    response = register(api_client, email="rosalind.franklin@example.com", password="Rosalind.Franklin1")

    assert response.status_code in (400, 422)
    assert "too similar" in " ".join(response.json()["password"])


@pytest.mark.parametrize("field", ["email", "password"])
def test_register_missing_required_field_is_named(api_client, field):
    payload = {key: value for key, value in NEW_USER.items() if key != field}

    response = api_client.post("/register/", payload, format="json")

    assert response.status_code in (400, 422)
    assert field in response.json()


def test_register_names_every_bad_field_in_one_response(api_client):
    bad = {
        "email": "not-an-email",
        "password": "weak",
        "nickname": "!",
        "profile_picture_url": "https://example.com/p/john.txt",
        "linkedin_profile_url": "ftp://linkedin.com/in/johndoe",
        "github_profile_url": "ftp://github.com/johndoe",
        "first_name": "x" * 101,
        "last_name": "y" * 101,
        "bio": "z" * 501,
    }

    response = api_client.post("/register/", bad, format="json")

    assert response.status_code in (400, 422)
    body = response.json()
    assert set(bad) <= set(body), sorted(body)
    for field in bad:
        assert field in body["detail"]


def test_register_names_every_bad_model_rule_in_one_response(api_client):
    bad = {
        "email": "not-an-email",
        "password": "weak",
        "nickname": "!",
        "profile_picture_url": "https://example.com/p/john.txt",
        "linkedin_profile_url": "ftp://linkedin.com/in/johndoe",
    }

    response = api_client.post("/register/", bad, format="json")

    assert response.status_code in (400, 422)
    assert set(bad) <= set(response.json())


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("{not json", "application/json", id="malformed-json"),
        pytest.param(json.dumps([NEW_USER]), "application/json", id="json-list"),
        pytest.param(json.dumps("a string"), "application/json", id="json-string"),
        pytest.param("null", "application/json", id="json-null"),
        pytest.param(json.dumps({**NEW_USER, "email": 12345}), "application/json", id="number-email"),
        pytest.param(json.dumps({**NEW_USER, "email": True}), "application/json", id="bool-email"),
        pytest.param(json.dumps({**NEW_USER, "email": ["a@example.com"]}), "application/json", id="list-email"),
        pytest.param(json.dumps({**NEW_USER, "password": {"x": 1}}), "application/json", id="object-password"),
        pytest.param(json.dumps({**NEW_USER, "email": "a" * 1_000_000}), "application/json", id="1mb-email"),
        pytest.param(json.dumps({**NEW_USER, "password": "A1*" + "a" * 1_000_000}), "application/json", id="1mb-pw"),
        pytest.param(json.dumps({**NEW_USER, "bio": "b" * 1_000_000}), "application/json", id="1mb-bio"),
        pytest.param(json.dumps({**NEW_USER, "bio": "b" * 3_000_000}), "application/json", id="3mb-body"),
        pytest.param(b"\xff\xfe\x00garbage", "application/json", id="binary"),
    ],
)
def test_register_rejects_malformed_input_with_4xx(api_client, body, content_type):
    response = api_client.generic("POST", "/register/", body, content_type=content_type)

    assert 400 <= response.status_code < 500, response.status_code
    assert isinstance(response.json()["detail"], str)
    assert not User.objects.exists()


# --- Email verification -------------------------------------------------------


def register_and_capture_link(api_client, mailoutbox, capture):
    with capture(execute=True):
        response = register(api_client)
    assert response.status_code == 201
    assert len(mailoutbox) == 1
    return response.json(), mailoutbox[0]


def test_register_sends_verification_email_after_commit(api_client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = register(api_client)
    assert response.status_code == 201
    assert mailoutbox == []
    assert len(callbacks) == 1

    callbacks[0]()

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [NEW_USER["email"]]
    assert message.subject
    user_id, token = verification_link(message)
    assert user_id == response.json()["id"]
    assert email_verification_token.check_token(User.objects.get(pk=user_id), token)


@pytest.mark.parametrize("slash", ["", "/"])
def test_verification_link_verifies_once(api_client, mailoutbox, django_capture_on_commit_callbacks, slash):
    body, message = register_and_capture_link(api_client, mailoutbox, django_capture_on_commit_callbacks)
    user_id, token = verification_link(message)
    path = f"/verify-email/{user_id}/{token}{slash}"

    response = api_client.get(path)

    assert response.status_code == 200
    assert response.json() == {"message": "Email verified successfully"}
    user = User.objects.get(pk=body["id"])
    assert user.email_verified is True
    assert user.role == Role.AUTHENTICATED

    again = api_client.get(path)

    assert again.status_code == 400
    assert isinstance(again.json()["detail"], str)


def test_verification_does_not_downgrade_staff_role(api_client):
    manager = UserFactory(role=Role.MANAGER, email_verified=False)
    token = email_verification_token.make_token(manager)

    assert api_client.get(f"/verify-email/{manager.pk}/{token}").status_code == 200

    manager.refresh_from_db()
    assert manager.email_verified is True
    assert manager.role == Role.MANAGER


@pytest.mark.parametrize(
    "make_path",
    [
        pytest.param(
            lambda user, token: f"/verify-email/{user.pk}/{token[:-1]}{'1' if token[-1] == '0' else '0'}",
            id="wrong-hash",
        ),
        pytest.param(lambda user, token: f"/verify-email/{user.pk}/not-a-token", id="garbage-token"),
        pytest.param(lambda user, token: f"/verify-email/{user.pk}/zzzzzzzzzzzzzzzzzzzz-abc", id="bad-timestamp"),
        pytest.param(lambda user, token: f"/verify-email/{uuid.uuid4()}/{token}", id="unknown-uuid"),
        pytest.param(lambda user, token: f"/verify-email/{uuid.uuid4()}/{token}/", id="unknown-uuid-slash"),
    ],
)
def test_verification_with_wrong_link_is_400(api_client, unverified_user, make_path):
    token = email_verification_token.make_token(unverified_user)

    response = api_client.get(make_path(unverified_user, token))

    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    unverified_user.refresh_from_db()
    assert unverified_user.email_verified is False
    assert unverified_user.role == Role.ANONYMOUS


def test_verification_token_of_another_user_is_400(api_client, unverified_user):
    other = UserFactory(unverified=True)
    token = email_verification_token.make_token(other)

    assert api_client.get(f"/verify-email/{unverified_user.pk}/{token}").status_code == 400


def test_verification_token_expires(api_client, unverified_user, settings):
    token = email_verification_token.make_token(unverified_user)
    settings.EMAIL_VERIFICATION_TIMEOUT = -1

    assert api_client.get(f"/verify-email/{unverified_user.pk}/{token}").status_code == 400


def test_verification_token_dies_when_email_changes(api_client, unverified_user):
    token = email_verification_token.make_token(unverified_user)
    User.objects.filter(pk=unverified_user.pk).update(email="changed@example.com")

    assert api_client.get(f"/verify-email/{unverified_user.pk}/{token}").status_code == 400


@pytest.mark.parametrize("user_id", ["not-a-uuid", "123", "3fa85f64-5717-4562-b3fc"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_verification_with_non_uuid_id_is_404(api_client, user_id, slash):
    response = api_client.get(f"/verify-email/{user_id}/1-abc{slash}")

    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


# --- Login --------------------------------------------------------------------


def expected_lifetime():
    return int(os.environ.get("ACCESS_TOKEN_EXPIRE_MINUTES", "15")) * 60


@pytest.mark.parametrize("path", ["/login/", "/login"])
@pytest.mark.parametrize("fmt", ["form", "json", "multipart"])
def test_login_returns_bearer_jwt(api_client, verified_user, path, fmt):
    data = {"username": verified_user.email, "password": PASSWORD}
    if fmt == "form":
        response = api_client.generic("POST", path, urlencode(data), content_type="application/x-www-form-urlencoded")
    elif fmt == "json":
        response = api_client.post(path, data, format="json")
    else:
        response = api_client.post(path, data, format="multipart")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == expected_lifetime()
    assert body["expires_in"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()

    payload = jwt.decode(body["access_token"], settings.SECRET_KEY, algorithms=["HS256"])
    assert payload["sub"] == str(verified_user.pk)
    assert payload["role"] == Role.AUTHENTICATED
    assert abs(payload["exp"] - datetime.now(UTC).timestamp() - expected_lifetime()) < 30
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"

    token = AccessToken(body["access_token"])
    assert token["sub"] == str(verified_user.pk)


@pytest.mark.parametrize("role", [Role.AUTHENTICATED, Role.MANAGER, Role.ADMIN])
def test_login_token_carries_role(api_client, role):
    user = UserFactory(role=role)

    response = api_client.post("/login/", {"username": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert AccessToken(response.json()["access_token"])["role"] == role


def test_login_email_is_case_insensitive(api_client, verified_user):
    response = api_client.post(
        "/login/", {"username": verified_user.email.upper(), "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_login_success_resets_counter_and_sets_last_login(api_client):
    user = UserFactory(failed_login_attempts=2)
    assert user.last_login_at is None

    response = api_client.post("/login/", {"username": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.failed_login_attempts == 0
    assert user.last_login_at is not None
    assert (datetime.now(UTC) - user.last_login_at).total_seconds() < 60


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(lambda user: {"username": "nobody@example.com", "password": PASSWORD}, id="unknown-email"),
        pytest.param(lambda user: {"username": user.email, "password": "Wrong*Pass1"}, id="wrong-password"),
        pytest.param(lambda user: {"username": user.email, "password": PASSWORD.lower()}, id="password-case"),
        pytest.param(lambda user: {"username": user.email, "password": f" {PASSWORD}"}, id="password-space"),
    ],
)
def test_login_bad_credentials_is_401(api_client, verified_user, credentials):
    response = api_client.post("/login/", credentials(verified_user), format="json")

    assert response.status_code == 401
    assert LOGIN_FAILED in response.json()["detail"]
    assert "access_token" not in response.json()


def test_login_unverified_email_is_401(api_client, unverified_user):
    response = api_client.post("/login/", {"username": unverified_user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 401
    assert LOGIN_FAILED in response.json()["detail"]


def test_login_locks_after_max_attempts(api_client, verified_user):
    wrong = {"username": verified_user.email, "password": "Wrong*Pass1"}
    assert settings.MAX_LOGIN_ATTEMPTS == 3

    for attempt in range(1, 4):
        response = api_client.post("/login/", wrong, format="json")
        assert response.status_code == 401
        verified_user.refresh_from_db()
        assert verified_user.failed_login_attempts == attempt
        assert verified_user.is_locked is (attempt == 3)

    response = api_client.post("/login/", {"username": verified_user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert LOCKED in response.json()["detail"]
    assert "access_token" not in response.json()


@pytest.mark.parametrize("password", [PASSWORD, "Wrong*Pass1"])
def test_login_on_locked_account_is_400(api_client, locked_user, password):
    response = api_client.post("/login/", {"username": locked_user.email, "password": password}, format="json")

    assert response.status_code == 400
    assert LOCKED in response.json()["detail"]


def test_login_success_between_failures_resets_the_count(api_client, verified_user):
    wrong = {"username": verified_user.email, "password": "Wrong*Pass1"}
    right = {"username": verified_user.email, "password": PASSWORD}
    for _ in range(2):
        api_client.post("/login/", wrong, format="json")
    assert api_client.post("/login/", right, format="json").status_code == 200
    for _ in range(2):
        assert api_client.post("/login/", wrong, format="json").status_code == 401

    verified_user.refresh_from_db()
    assert verified_user.failed_login_attempts == 2
    assert verified_user.is_locked is False
    assert api_client.post("/login/", right, format="json").status_code == 200


def test_login_honours_max_login_attempts_setting(api_client, verified_user, settings):
    settings.MAX_LOGIN_ATTEMPTS = 5
    wrong = {"username": verified_user.email, "password": "Wrong*Pass1"}

    for _ in range(4):
        assert api_client.post("/login/", wrong, format="json").status_code == 401
    verified_user.refresh_from_db()
    assert verified_user.is_locked is False

    assert api_client.post("/login/", wrong, format="json").status_code == 401
    verified_user.refresh_from_db()
    assert verified_user.is_locked is True
    assert verified_user.failed_login_attempts == 5


@pytest.mark.parametrize("missing", ["username", "password"])
def test_login_missing_field_is_400_naming_it(api_client, verified_user, missing):
    data = {"username": verified_user.email, "password": PASSWORD}
    del data[missing]

    response = api_client.post("/login/", data, format="json")

    assert response.status_code in (400, 422)
    assert missing in response.json()


# --- Throttling ---------------------------------------------------------------


def _login(client, user, n, **extra):
    return client.post("/login/", {"username": user.email, "password": PASSWORD}, format="json", **extra)


def _register(client, user, n, **extra):
    payload = {**NEW_USER, "email": f"t{n}@example.com", "nickname": f"throttle_{n}"}
    return client.post("/register/", payload, format="json", **extra)


def _verify(client, user, n, **extra):
    return client.get(f"/verify-email/{user.pk}/1-abc", **extra)


@pytest.mark.parametrize("call", [_login, _register, _verify], ids=["login", "register", "verify"])
def test_public_endpoints_are_throttled_per_address(api_client, verified_user, settings, call):
    settings.AUTH_THROTTLE_RATE = "3/min"

    statuses = [call(api_client, verified_user, n).status_code for n in range(3)]
    throttled = call(api_client, verified_user, 3)

    assert 429 not in statuses
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert isinstance(throttled.json()["detail"], str)
    assert call(api_client, verified_user, 4, REMOTE_ADDR="10.1.2.3").status_code != 429


def test_throttle_cannot_be_bypassed_with_spoofed_forwarded_for(api_client, verified_user, settings):
    settings.AUTH_THROTTLE_RATE = "3/min"

    statuses = [
        _login(api_client, verified_user, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]

    assert statuses[-1] == 429, statuses


def test_behind_one_proxy_the_forwarded_client_is_throttled(api_client, verified_user, settings):
    settings.AUTH_THROTTLE_RATE = "3/min"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    clients = {
        _login(api_client, verified_user, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", **proxy).status_code
        for n in range(6)
    }
    same_client = [
        _login(api_client, verified_user, n, HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.77", **proxy).status_code
        for n in range(4)
    ]

    assert clients == {200}
    assert same_client == [200, 200, 200, 429]


@pytest.mark.parametrize("rate", [None, "none"])
def test_throttle_can_be_turned_off(api_client, verified_user, settings, rate):
    settings.AUTH_THROTTLE_RATE = rate

    statuses = {_login(api_client, verified_user, n).status_code for n in range(30)}

    assert statuses == {200}


@pytest.mark.parametrize(("method", "path"), [("post", "/users/"), ("delete", "/users/{id}")])
def test_unauthenticated_writes_are_throttled(api_client, verified_user, settings, method, path):
    """ "other unauthenticated writes" (API.md, AUTH_THROTTLE_RATE) include /users/ without a valid token."""
    settings.AUTH_THROTTLE_RATE = "3/min"
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    path = path.format(id=verified_user.pk)

    statuses = [getattr(api_client, method)(path, {"bio": "x"}, format="json").status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]


def test_authenticated_user_management_is_not_throttled(admin_client_api, settings):
    settings.AUTH_THROTTLE_RATE = "3/min"

    statuses = {admin_client_api.get("/users/").status_code for _ in range(10)}

    assert statuses == {200}


@pytest.mark.parametrize("value", ["none", "NONE"])
def test_throttle_env_none_turns_it_off(value):
    env = {**os.environ, "AUTH_THROTTLE_RATE": value, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    code = "from django.conf import settings; print(repr(settings.AUTH_THROTTLE_RATE))"

    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "None"
