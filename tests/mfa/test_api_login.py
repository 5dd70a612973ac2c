"""POST /login with a second factor (issue 16, item 3): the same OAuth2 password form with
an `otp` field; without it or with a wrong one a 401 with a stable code, never a token;
`amr` in both tokens, kept by refresh. Users without a factor see no change (their
contract tests are in tests/users)."""

import jwt
import pytest
from django.conf import settings

from ..factories import PASSWORD
from .conftest import totp_code

pytestmark = pytest.mark.django_db


def login(client, user, password=PASSWORD, fmt="form", **extra):
    data = {"username": user.email, "password": password, "grant_type": "password", **extra}
    if fmt == "json":
        return client.post("/login", data, format="json")
    return client.post("/login", data)


def claims(token):
    return jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=[settings.SIMPLE_JWT["ALGORITHM"]])


def test_without_a_factor_the_tokens_say_password(api_client, verified_user):
    response = login(api_client, verified_user)
    assert response.status_code == 200
    body = response.json()
    assert claims(body["access_token"])["amr"] == ["pwd"]
    assert claims(body["refresh_token"])["amr"] == ["pwd"]


def test_without_the_code_a_401_says_a_code_is_required(api_client, enrolled_member):
    response = login(api_client, enrolled_member)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "otp_required" and "access_token" not in body
    assert "otp" in body["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("fmt", ["form", "json"])
def test_with_the_code_tokens_say_password_and_otp(api_client, enrolled_member, fmt):
    response = login(api_client, enrolled_member, fmt=fmt, otp=totp_code(enrolled_member.device))
    assert response.status_code == 200
    body = response.json()
    assert claims(body["access_token"])["amr"] == ["pwd", "otp"]
    assert claims(body["refresh_token"])["amr"] == ["pwd", "otp"]

    refreshed = api_client.post("/token/refresh", {"refresh_token": body["refresh_token"]}, format="json")
    assert refreshed.status_code == 200
    assert claims(refreshed.json()["access_token"])["amr"] == ["pwd", "otp"]
    assert claims(refreshed.json()["refresh_token"])["amr"] == ["pwd", "otp"]

    me = api_client.get("/users/me", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert me.status_code == 200


def test_swaggers_client_secret_carries_the_code(api_client, enrolled_member):
    response = login(api_client, enrolled_member, client_id="", client_secret=totp_code(enrolled_member.device))
    assert response.status_code == 200
    assert claims(response.json()["access_token"])["amr"] == ["pwd", "otp"]


def test_a_wrong_code_is_a_401_otp_invalid(api_client, enrolled_member):
    response = login(api_client, enrolled_member, otp="000000")
    assert response.status_code == 401
    assert response.json()["code"] == "otp_invalid"
    assert "access_token" not in response.json()


def test_a_wrong_password_with_a_right_code_says_nothing_of_the_code(api_client, enrolled_member):
    response = login(api_client, enrolled_member, password="Wrong*Pass1", otp=totp_code(enrolled_member.device))
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password."}


def test_a_used_code_is_refused_the_second_time(api_client, enrolled_member):
    code = totp_code(enrolled_member.device)
    assert login(api_client, enrolled_member, otp=code).status_code == 200
    replay = login(api_client, enrolled_member, otp=code)
    assert replay.status_code == 401 and replay.json()["code"] == "otp_invalid"


def test_a_recovery_code_works_once(api_client, enrolled_member):
    code = enrolled_member.codes[3]
    first = login(api_client, enrolled_member, otp=code)
    assert first.status_code == 200
    assert claims(first.json()["access_token"])["amr"] == ["pwd", "otp"]
    again = login(api_client, enrolled_member, otp=code)
    assert again.status_code == 401 and again.json()["code"] == "otp_invalid"


def test_wrong_codes_lock_the_account_as_wrong_passwords_do(api_client, enrolled_member):
    max_attempts = settings.MAX_LOGIN_ATTEMPTS
    for attempt in range(max_attempts):
        response = login(api_client, enrolled_member, otp=f"{attempt:06d}")
        assert response.status_code == 401 and response.json()["code"] == "otp_invalid"
    enrolled_member.refresh_from_db()
    assert enrolled_member.is_locked

    locked = login(api_client, enrolled_member, otp=totp_code(enrolled_member.device))
    assert locked.status_code == 400
    assert locked.json()["detail"] == "Account locked due to too many failed login attempts."


def test_a_right_code_resets_the_count(api_client, enrolled_member):
    login(api_client, enrolled_member, otp="000000")
    assert login(api_client, enrolled_member, otp=totp_code(enrolled_member.device)).status_code == 200
    enrolled_member.refresh_from_db()
    assert enrolled_member.failed_login_attempts == 0


def test_asking_without_a_code_counts_too(api_client, enrolled_member):
    """The 401 otp_required says the password was right: it spends an attempt like any other."""
    for _ in range(settings.MAX_LOGIN_ATTEMPTS):
        assert login(api_client, enrolled_member).json()["code"] == "otp_required"
    response = login(api_client, enrolled_member, otp=totp_code(enrolled_member.device))
    assert response.status_code == 400  # locked
    enrolled_member.refresh_from_db()
    assert enrolled_member.is_locked


def test_wrong_codes_are_throttled_per_address(api_client, enrolled_member, settings):
    settings.AUTH_THROTTLE_RATE = "2/min"
    settings.MAX_LOGIN_ATTEMPTS = 10
    assert login(api_client, enrolled_member, otp="000000").status_code == 401
    assert login(api_client, enrolled_member, otp="000001").status_code == 401
    assert login(api_client, enrolled_member, otp=totp_code(enrolled_member.device)).status_code == 429
