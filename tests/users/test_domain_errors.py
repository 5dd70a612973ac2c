"""Each refusal of the account services, as the API answers it: the exception handler
turns the `DomainError` into its status, body and headers, with no view catching it."""

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

INVALID_TOKEN = "Token is invalid or expired."
BAD_RESET_LINK = "Invalid or expired password reset link."


def login(api_client, user, password=PASSWORD):
    return api_client.post("/login/", {"username": user.email, "password": password}, format="json")


@pytest.mark.parametrize(
    ("traits", "password"),
    [({}, "Wrong*Pass1"), ({"unverified": True}, PASSWORD)],
    ids=["wrong-password", "unverified-email"],
)
def test_refused_credentials_are_a_401_with_the_bearer_challenge(api_client, traits, password):
    response = login(api_client, UserFactory(**traits), password)

    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password."}
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_locked_account_is_a_400_without_a_challenge(api_client):
    response = login(api_client, UserFactory(locked=True))

    assert response.status_code == 400
    assert response.json() == {"detail": "Account locked due to too many failed login attempts."}
    assert not response.has_header("WWW-Authenticate")


@pytest.mark.parametrize("path", ["/token/refresh", "/logout"])
def test_a_bad_refresh_token_is_a_401_with_the_bearer_challenge(api_client, path):
    response = api_client.post(path, {"refresh_token": "not-a-token"}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": INVALID_TOKEN}
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_bad_reset_link_names_the_token_field(api_client):
    body = {"uid": "bm9ib2R5", "token": "c8x2qk-0f1e2d3c4b5a69788796a5b4c3d2e1f0", "new_password": "Even*Better5678"}

    response = api_client.post("/password-reset/confirm", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": BAD_RESET_LINK, "token": [BAD_RESET_LINK]}


def test_a_bad_verification_link_is_a_json_400_for_api_clients(api_client):
    user = UserFactory(unverified=True)

    response = api_client.get(f"/verify-email/{user.pk}/1-abc", HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid or expired verification link."}


def test_a_bad_verification_link_is_a_page_for_browsers(api_client):
    user = UserFactory(unverified=True)

    response = api_client.get(f"/verify-email/{user.pk}/1-abc", HTTP_ACCEPT="text/html,application/json;q=0.9")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"<html" in response.content.lower()
