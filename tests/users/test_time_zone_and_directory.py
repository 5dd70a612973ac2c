"""Issue 15 items 4 and 5: a member's time zone and the member directory opt-in (`show_in_directory`)."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory
from users.models import User
from users.selectors import DIRECTORY_FIELDS, directory_members

pytestmark = pytest.mark.django_db

NEW_USER = {"email": "zoned@example.com", "password": "Secure*1234"}


def test_the_account_carries_the_zone_and_the_opt_in_with_safe_defaults(client_for):
    user = UserFactory()
    body = client_for(user).get("/users/me").json()
    assert body["time_zone"] == settings.TIME_ZONE
    assert body["show_in_directory"] is False


def test_staff_views_of_a_user_leave_the_member_settings_out(client_for):
    """The user resource staff read keeps its contract's fields exactly."""
    member = UserFactory(time_zone="Europe/Paris")
    body = client_for(UserFactory(admin=True)).get(f"/users/{member.pk}").json()
    assert "time_zone" not in body and "show_in_directory" not in body


def test_a_member_sets_their_zone_and_opts_in_with_patch(client_for):
    user = UserFactory()
    response = client_for(user).patch(
        "/users/me", {"time_zone": "Europe/Paris", "show_in_directory": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["time_zone"], response.json()["show_in_directory"]) == ("Europe/Paris", True)
    user.refresh_from_db()
    assert (user.time_zone, user.show_in_directory) == ("Europe/Paris", True)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "europe/paris", "UTC+2", "", "x" * 65])
def test_an_unknown_zone_is_a_400_naming_the_field(client_for, zone):
    user = UserFactory()
    response = client_for(user).patch("/users/me", {"time_zone": zone}, format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json(), response.json()
    user.refresh_from_db()
    assert user.time_zone == settings.TIME_ZONE


def test_a_non_boolean_opt_in_is_a_400_naming_the_field(client_for):
    response = client_for(UserFactory()).patch("/users/me", {"show_in_directory": "perhaps"}, format="json")
    assert response.status_code == 400
    assert "show_in_directory" in response.json()


def test_register_accepts_a_zone(api_client):
    response = api_client.post("/register/", {**NEW_USER, "time_zone": "America/New_York"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["time_zone"] == "America/New_York"
    assert User.objects.get(email=NEW_USER["email"]).time_zone == "America/New_York"


def test_register_without_a_zone_gets_the_default(api_client):
    response = api_client.post("/register/", NEW_USER, format="json")
    assert response.status_code == 201
    assert response.json()["time_zone"] == settings.TIME_ZONE


def test_register_with_an_unknown_zone_is_a_400_naming_the_field(api_client):
    response = api_client.post("/register/", {**NEW_USER, "time_zone": "Nowhere/Land"}, format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json()
    assert not User.objects.filter(email=NEW_USER["email"]).exists()


def test_register_cannot_opt_in_to_the_directory(api_client):
    """Unknown fields at sign-up are ignored as before: the opt-in is only a member's own choice later."""
    response = api_client.post("/register/", {**NEW_USER, "show_in_directory": True}, format="json")
    assert response.status_code == 201
    assert User.objects.get(email=NEW_USER["email"]).show_in_directory is False


# --- the directory -------------------------------------------------------------------


def test_the_directory_lists_only_opted_in_active_verified_open_members():
    shown = UserFactory(nickname="alice_shown", show_in_directory=True, is_professional=True)
    UserFactory(nickname="bob_hidden")  # not opted in
    UserFactory(nickname="carol_locked", show_in_directory=True, locked=True)
    UserFactory(nickname="dan_unverified", show_in_directory=True, unverified=True)
    UserFactory(nickname="erin_closed", show_in_directory=True, closed_at=timezone.now())
    rows = list(directory_members())
    assert [row["nickname"] for row in rows] == ["alice_shown"]
    assert set(rows[0]) == set(DIRECTORY_FIELDS)
    assert "email" not in rows[0]
    assert rows[0]["is_professional"] is True and rows[0]["id"] == shown.pk


def test_the_directory_is_searchable_and_sorted_by_nickname():
    UserFactory(nickname="zed_django", show_in_directory=True, bio="Writes Django.")
    UserFactory(nickname="amy_rust", show_in_directory=True, bio="Writes Rust.")
    UserFactory(nickname="kim_django_fan", show_in_directory=True, first_name="Kim")
    assert [row["nickname"] for row in directory_members()] == ["amy_rust", "kim_django_fan", "zed_django"]
    assert [row["nickname"] for row in directory_members(search=" django ")] == ["kim_django_fan", "zed_django"]
    assert [row["nickname"] for row in directory_members(search="KIM")] == ["kim_django_fan"]
    assert list(directory_members(search="%")) == []  # LIKE wildcards are literal


@pytest.mark.parametrize("count", [0, 3, 30])
def test_the_directory_is_one_query_whatever_its_size(count):
    for _ in range(count):
        UserFactory(show_in_directory=True)
    with CaptureQueriesContext(connection) as queries:
        rows = list(directory_members(search="member")[:20])
    assert len(rows) == min(count, 20)
    assert len(queries) == 1


def test_closing_the_account_leaves_the_directory(client_for):
    user = UserFactory(show_in_directory=True)
    response = client_for(user).delete("/users/me", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.show_in_directory is False
    assert list(directory_members()) == []
