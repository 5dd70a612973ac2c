"""The in-app notification API and the preferences API, through APIClient with real tokens."""

import pytest
from django.utils import timezone

from notifications.models import Notification, NotificationPreference
from notifications.registry import DAILY, IMMEDIATELY
from notifications.services import notify
from tests.factories import UserFactory

from .conftest import IN_APP_ONLY, PLAIN, URGENT

pytestmark = pytest.mark.django_db

PREFS = "/users/me/notification-preferences"


def make_notes(user, count, *, read=0):
    notes = [
        notify(recipient=user, kind=IN_APP_ONLY, context={"badge": f"b{index}"}).notification for index in range(count)
    ]
    Notification.objects.filter(pk__in=[note.pk for note in notes[:read]]).update(read_at=timezone.now())
    return notes


# --- GET /notifications ---------------------------------------------------------


def test_list_shows_only_mine_unread_first_with_unread_count(client_for, verified_user, django_assert_max_num_queries):
    notes = make_notes(verified_user, 5, read=2)  # b0, b1 read; b2..b4 unread
    make_notes(UserFactory(), 3)

    with django_assert_max_num_queries(5):
        response = client_for(verified_user).get("/notifications")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["page"], body["size"], body["unread_count"]) == (5, 1, 5, 3)
    titles = [item["title"] for item in body["items"]]
    assert titles == ["Badge b4", "Badge b3", "Badge b2", "Badge b1", "Badge b0"]
    assert [item["is_read"] for item in body["items"]] == [False, False, False, True, True]
    assert {item["id"] for item in body["items"]} == {note.pk for note in notes}
    assert set(body["items"][0]) == {"id", "kind", "title", "body", "link", "is_read", "read_at", "created_at"}
    assert {link["rel"] for link in body["links"]} >= {"self", "first", "last"}


def test_list_pages_with_skip_and_limit(client_for, verified_user):
    make_notes(verified_user, 7)

    body = client_for(verified_user).get("/notifications/?skip=5&limit=5").json()

    assert (body["total"], body["page"], body["size"], body["unread_count"]) == (7, 2, 2, 7)
    assert [item["title"] for item in body["items"]] == ["Badge b1", "Badge b0"]


@pytest.mark.parametrize("query", ["skip=-1", "limit=0", "skip=x", f"skip={2**64}"])
def test_bad_page_parameters_are_a_400_naming_them(client_for, verified_user, query):
    response = client_for(verified_user).get(f"/notifications?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/notifications"), ("post", "/notifications/1/read"), ("post", "/notifications/read-all")],
)
def test_a_token_is_required(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 401


# --- POST /notifications/{id}/read and /read-all ---------------------------------


def test_mark_one_read_is_idempotent(client_for, verified_user):
    [note] = make_notes(verified_user, 1)
    client = client_for(verified_user)

    first = client.post(f"/notifications/{note.pk}/read")
    second = client.post(f"/notifications/{note.pk}/read/")

    assert first.status_code == second.status_code == 200
    assert first.json()["is_read"] is True
    assert first.json()["read_at"] == second.json()["read_at"]
    assert client.get("/notifications").json()["unread_count"] == 0


@pytest.mark.parametrize("whose", ["someone else's", "missing", "huge"])
def test_anyone_elses_notification_is_a_404(client_for, verified_user, whose):
    [note] = make_notes(UserFactory(), 1)
    pk = {"someone else's": note.pk, "missing": note.pk + 1000, "huge": 10**30}[whose]

    response = client_for(verified_user).post(f"/notifications/{pk}/read")

    assert response.status_code == 404
    assert "detail" in response.json()
    note.refresh_from_db()
    assert note.read_at is None


def test_admins_cannot_read_someone_elses_through_the_api_either(client_for, admin_user):
    [note] = make_notes(UserFactory(), 1)

    assert client_for(admin_user).post(f"/notifications/{note.pk}/read").status_code == 404


def test_read_all_marks_only_mine(client_for, verified_user):
    make_notes(verified_user, 3, read=1)
    others = make_notes(UserFactory(), 2)

    response = client_for(verified_user).post("/notifications/read-all")

    assert response.status_code == 200
    assert response.json() == {"marked_read": 2, "unread_count": 0}
    assert not Notification.objects.filter(recipient=verified_user, read_at__isnull=True).exists()
    assert Notification.objects.filter(pk__in=[note.pk for note in others], read_at__isnull=True).count() == 2


# --- /users/me/notification-preferences ------------------------------------------


def by_kind(response):
    return {item["kind"]: item for item in response.json()["preferences"]}


def test_preferences_list_every_kind_with_defaults_and_locks(client_for, verified_user):
    response = client_for(verified_user).get(PREFS)

    assert response.status_code == 200, response.content
    items = by_kind(response)
    assert items["users.verify_email"] == {
        "kind": "users.verify_email",
        "label": "Email verification",
        "description": "The link that confirms your email address.",
        "channels": ["email", "in_app"],
        "mandatory": True,
        "urgent": True,
        "email": True,
        "in_app": True,
        "digest": None,
        "digest_choices": [IMMEDIATELY],
    }
    assert items[PLAIN] | {"description": ""} == {
        "kind": PLAIN,
        "label": "Event changed",
        "description": "",
        "channels": ["email", "in_app"],
        "mandatory": False,
        "urgent": False,
        "email": True,
        "in_app": True,
        "digest": IMMEDIATELY,
        "digest_choices": [IMMEDIATELY, DAILY],
    }


def test_preferences_url_is_not_taken_by_the_users_router(client_for, verified_user):
    response = client_for(verified_user).get(f"{PREFS}/")

    assert response.status_code == 200
    assert "preferences" in response.json()


def test_put_changes_only_the_kinds_sent(client_for, verified_user):
    client = client_for(verified_user)

    response = client.put(
        PREFS,
        {"preferences": [{"kind": PLAIN, "email": False, "digest": DAILY}, {"kind": IN_APP_ONLY, "in_app": False}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    items = by_kind(response)
    assert (items[PLAIN]["email"], items[PLAIN]["in_app"], items[PLAIN]["digest"]) == (False, True, DAILY)
    assert items[IN_APP_ONLY]["in_app"] is False
    assert by_kind(client.get(PREFS)) == items
    assert NotificationPreference.objects.filter(user=verified_user).count() == 2

    # A second PUT leaves what it does not mention.
    client.put(PREFS, {"preferences": [{"kind": PLAIN, "email": True}]}, format="json")
    items = by_kind(client.get(PREFS))
    assert (items[PLAIN]["email"], items[PLAIN]["digest"], items[IN_APP_ONLY]["in_app"]) == (True, DAILY, False)


def test_preferences_are_per_user(client_for, verified_user):
    other = UserFactory()
    client_for(other).put(PREFS, {"preferences": [{"kind": PLAIN, "email": False}]}, format="json")

    assert by_kind(client_for(verified_user).get(PREFS))[PLAIN]["email"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "users.verify_email", "email": False}, "users.verify_email is mandatory"),
        ({"kind": URGENT, "in_app": False}, f"{URGENT} is mandatory"),
        ({"kind": URGENT, "digest": DAILY}, f"{URGENT} is sent immediately"),
        ({"kind": IN_APP_ONLY, "email": True}, f"{IN_APP_ONLY} has no email channel"),
        ({"kind": "nope.nothing", "email": False}, "nope.nothing is not a notification kind"),
    ],
)
def test_a_change_the_kind_does_not_allow_is_a_400_naming_it(client_for, verified_user, change, message):
    body = {"preferences": [{"kind": PLAIN, "email": False}, change]}

    response = client_for(verified_user).put(PREFS, body, format="json")

    assert response.status_code == 400, response.content
    assert any(message in problem for problem in response.json()["preferences"]), response.json()
    assert message in response.json()["detail"]
    assert not NotificationPreference.objects.exists()  # all or nothing


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"preferences": []},
        {"preferences": [{"email": False}]},
        {"preferences": [{"kind": PLAIN, "digest": "weekly"}]},
    ],
)
def test_a_malformed_body_is_a_400(client_for, verified_user, body):
    response = client_for(verified_user).put(PREFS, body, format="json")

    assert response.status_code == 400
    assert "preferences" in response.json()


def test_preferences_need_a_token(api_client):
    assert api_client.get(PREFS).status_code == 401
    assert api_client.put(PREFS, {"preferences": []}, format="json").status_code == 401


def test_a_mandatory_kind_sent_as_on_is_accepted(client_for, verified_user):
    response = client_for(verified_user).put(
        PREFS, {"preferences": [{"kind": "users.verify_email", "email": True}]}, format="json"
    )

    assert response.status_code == 200
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/notifications/1/read"), ("post", "/notifications/read-all"), ("put", PREFS)],
)
def test_writes_without_a_valid_token_spend_the_login_throttle(
    api_client, client_for, verified_user, settings, method, path
):
    settings.AUTH_THROTTLE_RATE = "2/min"
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    statuses = [getattr(api_client, method)(path, {"preferences": []}, format="json").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert client_for(verified_user).get("/notifications").status_code == 200  # reads and real tokens never count


def test_preferences_cost_a_fixed_number_of_queries(client_for, verified_user, django_assert_max_num_queries):
    client = client_for(verified_user)
    changes = [
        {"kind": PLAIN, "email": False},
        {"kind": IN_APP_ONLY, "in_app": False},
        {"kind": PLAIN, "digest": DAILY},
    ]
    with django_assert_max_num_queries(5):
        response = client.put(PREFS, {"preferences": changes}, format="json")
    with django_assert_max_num_queries(3):
        client.get(PREFS)

    assert response.status_code == 200
    items = by_kind(response)
    assert (items[PLAIN]["email"], items[PLAIN]["digest"], items[IN_APP_ONLY]["in_app"]) == (False, DAILY, False)
    assert NotificationPreference.objects.filter(user=verified_user).count() == 2


def test_the_documented_preferences_example_is_accepted(client_for, verified_user):
    """Swagger's "Try it out" sends the documented example: it must be a valid change."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    examples = schema["paths"]["/users/me/notification-preferences/"]["put"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert examples
    for example in examples.values():
        response = client_for(verified_user).put("/users/me/notification-preferences", example["value"], format="json")
        assert response.status_code == 200, response.json()
