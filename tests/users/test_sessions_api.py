"""Token lifecycle through the API: login pair, refresh rotation and reuse detection,
logout, logout everywhere, what ends sessions and what does not, the cost per request."""

import jwt
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from users.authentication import access_token_for
from users.models import RefreshSession, Role, User

pytestmark = pytest.mark.django_db


def login(api_client, user):
    response = api_client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def bearer(api_client, token, scheme="Bearer"):
    api_client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return api_client


def refresh(api_client, token):
    api_client.credentials()
    return api_client.post("/token/refresh", {"refresh_token": token}, format="json")


def test_login_adds_a_refresh_token_to_the_contract_keys(api_client, verified_user):
    body = login(api_client, verified_user)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["ver"]) == (str(verified_user.pk), "AUTHENTICATED", 0)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_authorization_scheme_is_case_insensitive(api_client, verified_user, scheme):
    token = login(api_client, verified_user)["access_token"]
    assert bearer(api_client, token, scheme).get("/users/me").status_code == 200


@pytest.mark.parametrize("path", ["/token/refresh", "/token/refresh/"])
def test_refresh_rotates_and_the_new_pair_works(api_client, verified_user, path):
    first = login(api_client, verified_user)
    api_client.credentials()
    response = api_client.post(path, {"refresh_token": first["refresh_token"]}, format="json")

    assert response.status_code == 200, response.content
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(api_client, second["access_token"]).get("/users/me").status_code == 200
    assert refresh(api_client, second["refresh_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api_client, verified_user):
    first = login(api_client, verified_user)
    second = refresh(api_client, first["refresh_token"]).json()

    replay = refresh(api_client, first["refresh_token"])
    assert replay.status_code == 401
    assert replay["WWW-Authenticate"] == "Bearer"
    # The thief's replay also kills the legitimate holder's newer token: log in again.
    assert refresh(api_client, second["refresh_token"]).status_code == 401
    session = RefreshSession.objects.get(user=verified_user)
    assert session.revoked_reason == "reuse"
    assert AuditEvent.objects.filter(action="user.refresh_token_reused", target_user=verified_user).count() == 1
    # Another login (another family) is not affected.
    other = login(api_client, verified_user)
    assert refresh(api_client, other["refresh_token"]).status_code == 200


def test_refresh_costs_a_fixed_number_of_queries(api_client, verified_user):
    tokens = [login(api_client, verified_user)["refresh_token"]]
    UserFactory.create_batch(5)
    counts = []
    for _ in range(3):
        api_client.credentials()
        with CaptureQueriesContext(connection) as queries:
            response = api_client.post("/token/refresh", {"refresh_token": tokens[-1]}, format="json")
        assert response.status_code == 200
        tokens.append(response.json()["refresh_token"])
        counts.append(len([q for q in queries if "SAVEPOINT" not in q["sql"]]))
    # session+user (locked), outstanding row, blacklist get-or-create (2), last_used, new outstanding.
    assert counts == [6, 6, 6]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        lambda user: str(access_token_for(user)),  # an access token is not a refresh token
        lambda user: jwt.encode(
            {"token_type": "refresh", "sub": str(user.pk), "fam": "x", "jti": "j", "exp": 9999999999},
            settings.SIMPLE_JWT["SIGNING_KEY"],
        ),  # signed, malformed family claim
        lambda user: jwt.encode(
            {"token_type": "refresh", "sub": str(user.pk), "exp": 9999999999},
            "a-wrong-signing-key-of-at-least-32-bytes!",
        ),
    ],
    ids=["garbage", "access-token", "malformed-claim", "bad-signature"],
)
def test_bad_refresh_tokens_are_401(api_client, verified_user, token):
    token = token(verified_user) if callable(token) else token
    response = refresh(api_client, token)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_refresh_token_is_not_an_access_token(api_client, verified_user):
    token = login(api_client, verified_user)["refresh_token"]
    assert bearer(api_client, token).get("/users/me").status_code == 401


@pytest.mark.parametrize("ver", ["one", None, 1.5, [1]])
def test_a_malformed_version_claim_in_a_signed_token_is_401(api_client, verified_user, ver):
    token = access_token_for(verified_user)
    token["ver"] = ver
    assert bearer(api_client, str(token)).get("/users/me").status_code == 401


def test_a_signed_token_with_a_malformed_subject_is_401(api_client, verified_user):
    token = access_token_for(verified_user)
    token["sub"] = {"not": "an id"}
    assert bearer(api_client, str(token)).get("/users/me").status_code == 401


# --- Logout ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/logout", "/logout/"])
def test_logout_revokes_the_refresh_token(api_client, verified_user, path):
    tokens = login(api_client, verified_user)
    api_client.credentials()
    assert api_client.post(path, {"refresh_token": tokens["refresh_token"]}, format="json").status_code == 204
    assert refresh(api_client, tokens["refresh_token"]).status_code == 401
    assert BlacklistedToken.objects.count() == 1
    # Logging out twice is not an error; a token that is not one is.
    assert api_client.post(path, {"refresh_token": tokens["refresh_token"]}, format="json").status_code == 204
    assert api_client.post(path, {"refresh_token": "nope"}, format="json").status_code == 401


@pytest.mark.parametrize("path", ["/logout/all", "/logout/all/"])
def test_logout_all_kills_live_access_tokens_and_every_refresh_token(api_client, client_for, verified_user, path):
    phone, laptop = login(api_client, verified_user), login(api_client, verified_user)
    other_user = UserFactory()
    bystander = client_for(other_user)

    assert bearer(api_client, phone["access_token"]).post(path).status_code == 204

    for tokens in (phone, laptop):
        assert bearer(api_client, tokens["access_token"]).get("/users/me").status_code == 401
        assert refresh(api_client, tokens["refresh_token"]).status_code == 401
    assert bystander.get("/users/me").status_code == 200
    fresh = login(api_client, verified_user)
    assert bearer(api_client, fresh["access_token"]).get("/users/me").status_code == 200


def test_logout_all_needs_a_token(api_client):
    assert api_client.post("/logout/all").status_code == 401


# --- What ends sessions and what does not ------------------------------------------------


def test_a_lock_ends_sessions_and_they_stay_dead_after_the_unlock(admin_client_api, api_client, verified_user):
    tokens = login(api_client, verified_user)
    assert admin_client_api.post(f"/users/{verified_user.pk}/unlock").json()["message"] == "The account was not locked."
    from users.services import user_lock

    user_lock(user=User.objects.get(pk=verified_user.pk))
    assert admin_client_api.post(f"/users/{verified_user.pk}/unlock").status_code == 200

    assert bearer(api_client, tokens["access_token"]).get("/users/me").status_code == 401
    assert refresh(api_client, tokens["refresh_token"]).status_code == 401


def test_a_role_change_keeps_the_session_with_the_new_rights(admin_client_api, api_client, verified_user):
    tokens = login(api_client, verified_user)
    assert bearer(api_client, tokens["access_token"]).get("/users/").status_code == 403

    assert admin_client_api.put(f"/users/{verified_user.pk}", {"role": "MANAGER"}, format="json").status_code == 200

    assert bearer(api_client, tokens["access_token"]).get("/users/").status_code == 200
    assert refresh(api_client, tokens["refresh_token"]).status_code == 200
    assert AuditEvent.objects.get(action="user.role_changed").changes == {"role": [Role.AUTHENTICATED, Role.MANAGER]}


def test_revocation_costs_no_extra_query(admin_client_api, verified_user):
    """GET /users/{id} is one query: the token's user (version compared in Python) read
    together with the target."""
    with CaptureQueriesContext(connection) as queries:
        assert admin_client_api.get(f"/users/{verified_user.pk}").status_code == 200
    assert len(queries) == 1


def _signed(claims):
    return jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=settings.SIMPLE_JWT["ALGORITHM"])


@pytest.mark.parametrize(
    "claims",
    [
        {"token_type": "access", "jti": "a", "exp": "tomorrow"},
        {"token_type": "access", "exp": 9999999999},
        {"jti": "a", "exp": 9999999999},
        {"token_type": ["access"], "jti": "a", "exp": 9999999999},
        {"token_type": "access", "jti": "a", "exp": 9999999999, "sub": 12},
        {"token_type": "access", "jti": "a", "exp": 9999999999, "sub": None},
    ],
    ids=["exp-text", "no-jti", "no-type", "type-list", "sub-int", "sub-null"],
)
def test_any_malformed_claim_in_a_signed_access_token_is_401(api_client, verified_user, claims):
    claims = {"sub": str(verified_user.pk), **claims}
    response = bearer(api_client, _signed(claims)).get("/users/me")
    assert response.status_code == 401
    assert response.json()["detail"]
