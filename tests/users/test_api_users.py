"""User management (/users/) through the HTTP API: pages, CRUD, role rules, query counts, tokens."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from users.authentication import access_token_for
from users.models import Role, User

pytestmark = pytest.mark.django_db

NEW_USER = {
    "email": "created.user@example.com",
    "password": "Secure*1234",
    "nickname": "created_user",
    "first_name": "Created",
    "last_name": "User",
}
OPTIONAL_FIELDS = (
    "first_name",
    "last_name",
    "bio",
    "profile_picture_url",
    "linkedin_profile_url",
    "github_profile_url",
    "resume_url",
)
USER_FIELDS = {
    "id",
    "email",
    "nickname",
    "first_name",
    "last_name",
    "bio",
    "profile_picture_url",
    "linkedin_profile_url",
    "github_profile_url",
    "resume_url",
    "role",
    "is_professional",
    "email_verified",
    "is_locked",
    "last_login_at",
    "created_at",
    "updated_at",
    "links",
}


def links_by_rel(body):
    return {link["rel"]: link for link in body["links"]}


def page_params(href):
    parts = urlsplit(href)
    return parts.path, {key: int(value) for key, [value] in parse_qs(parts.query).items()}


# --- Listing ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/users/", "/users"])
def test_list_returns_a_page(admin_client_api, admin_user, users_with_same_role_50_users, path):
    response = admin_client_api.get(path)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total", "page", "size", "links"}
    assert body["total"] == 51
    assert body["page"] == 1
    assert body["size"] == 10
    assert len(body["items"]) == 10
    assert set(body["items"][0]) == USER_FIELDS
    for link in body["links"]:
        assert link["method"] == "GET"
        assert link["href"].startswith("http://testserver/users")


def test_list_items_are_ordered_and_pages_do_not_overlap(admin_client_api, admin_user, users_with_same_role_50_users):
    seen = []
    for skip in range(0, 60, 7):
        seen += [item["id"] for item in admin_client_api.get(f"/users/?skip={skip}&limit=7").json()["items"]]

    expected = [str(pk) for pk in User.objects.order_by("created_at", "id").values_list("pk", flat=True)]
    assert seen == expected


def test_list_links_match_the_contract_example(admin_client_api, admin_user):
    UserFactory.create_batch(122)

    body = admin_client_api.get("/users/?skip=0&limit=10").json()

    assert body["total"] == 123
    assert body["links"] == [
        {"rel": "self", "href": "http://testserver/users/?skip=0&limit=10", "method": "GET"},
        {"rel": "first", "href": "http://testserver/users/?skip=0&limit=10", "method": "GET"},
        {"rel": "last", "href": "http://testserver/users/?skip=120&limit=10", "method": "GET"},
        {"rel": "next", "href": "http://testserver/users/?skip=10&limit=10", "method": "GET"},
    ]


@pytest.mark.parametrize(
    ("total", "skip", "limit", "expected"),
    [
        # total, skip, limit -> {rel: skip} (limit is unchanged in every link)
        (23, 0, 10, {"self": 0, "first": 0, "last": 20, "next": 10}),
        (23, 10, 10, {"self": 10, "first": 0, "last": 20, "next": 20, "prev": 0}),
        (23, 20, 10, {"self": 20, "first": 0, "last": 20, "prev": 10}),
        (23, 5, 10, {"self": 5, "first": 0, "last": 20, "next": 15, "prev": 0}),
        (20, 10, 10, {"self": 10, "first": 0, "last": 10, "prev": 0}),
        (20, 0, 20, {"self": 0, "first": 0, "last": 0}),
        (1, 0, 10, {"self": 0, "first": 0, "last": 0}),
        (23, 40, 10, {"self": 40, "first": 0, "last": 20, "prev": 30}),
    ],
)
def test_list_links(admin_client_api, admin_user, total, skip, limit, expected):
    UserFactory.create_batch(total - 1)

    body = admin_client_api.get(f"/users/?skip={skip}&limit={limit}").json()

    assert body["total"] == total
    assert body["page"] == skip // limit + 1
    assert body["size"] == len(body["items"]) == max(0, min(limit, total - skip))
    links = {rel: page_params(link["href"]) for rel, link in links_by_rel(body).items()}
    assert {rel: params["skip"] for rel, (_, params) in links.items()} == expected
    assert {params["limit"] for _, params in links.values()} == {limit}
    assert {path for path, _ in links.values()} == {"/users/"}


def test_list_links_can_be_followed(admin_client_api, admin_user):
    UserFactory.create_batch(24)
    body = admin_client_api.get("/users/?skip=10&limit=10").json()

    for rel, link in links_by_rel(body).items():
        followed = admin_client_api.get(link["href"])
        assert followed.status_code == 200, rel
        assert followed.json()["links"][0]["href"] == link["href"]


@pytest.mark.parametrize(("limit", "size"), [(100, 100), (101, 100), (1000, 100), (1, 1)])
def test_list_limit_is_capped(admin_client_api, admin_user, limit, size):
    UserFactory.create_batch(110)

    body = admin_client_api.get(f"/users/?limit={limit}").json()

    assert body["size"] == len(body["items"]) == size
    assert {page_params(link["href"])[1]["limit"] for link in body["links"]} == {size}


def test_list_limit_cap_follows_setting(admin_client_api, admin_user, settings):
    settings.USERS_PAGE_MAX_LIMIT = 5
    UserFactory.create_batch(10)

    assert admin_client_api.get("/users/?limit=50").json()["size"] == 5


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("skip=-1", "skip"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("skip=abc", "skip"),
        ("limit=ten", "limit"),
        ("limit=1.5", "limit"),
        ("skip=-1&limit=0", "limit"),
    ],
)
def test_list_bad_paging_params_are_400(admin_client_api, query, param):
    response = admin_client_api.get(f"/users/?{query}")

    assert response.status_code in (400, 422)
    body = response.json()
    assert param in body
    assert param in body["detail"]


# --- Creating -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/users/", "/users"])
def test_admin_creates_user_with_role_and_mail_is_sent(
    admin_client_api, mailoutbox, django_capture_on_commit_callbacks, path
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_api.post(path, {**NEW_USER, "role": Role.MANAGER}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == Role.MANAGER
    assert body["email_verified"] is False
    assert "password" not in body
    assert User.objects.get(pk=body["id"]).role == Role.MANAGER
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [NEW_USER["email"]]
    assert f"/verify-email/{body['id']}/" in mailoutbox[0].body


def test_manager_creates_user_without_role(manager_client_api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client_api.post("/users/", NEW_USER, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["role"] == Role.ANONYMOUS
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("role", list(Role))
def test_manager_sending_role_is_403(manager_client_api, mailoutbox, django_capture_on_commit_callbacks, role):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client_api.post("/users/", {**NEW_USER, "role": role}, format="json")

    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    assert not User.objects.filter(email=NEW_USER["email"]).exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("password", "weak"),
        ("password", "P@ssw0rd"),
        ("nickname", "a"),
        ("profile_picture_url", "https://example.com/p.txt"),
        ("linkedin_profile_url", "ftp://linkedin.com/in/x"),
        ("role", "SUPERUSER"),
        ("bio", "x" * 501),
    ],
)
def test_create_validates_like_register(admin_client_api, field, value):
    response = admin_client_api.post("/users/", {**NEW_USER, field: value}, format="json")

    assert response.status_code in (400, 422)
    assert field in response.json()
    assert not User.objects.filter(email=NEW_USER["email"]).exists()


@pytest.mark.parametrize("email", ["Admin.User@Example.com", "ADMIN.USER@EXAMPLE.COM"])
def test_create_duplicate_email_is_400(admin_client_api, email):
    response = admin_client_api.post("/users/", {**NEW_USER, "email": email}, format="json")

    assert response.status_code == 400
    assert "Email already exists" in response.json()["detail"]


# --- Retrieving ---------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("client_fixture", ["admin_client_api", "manager_client_api"])
def test_retrieve_user(request, server, verified_user, client_fixture, slash):
    client = request.getfixturevalue(client_fixture)

    response = client.get(f"/users/{verified_user.pk}{slash}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["id"] == str(verified_user.pk)
    assert body["email"] == verified_user.email
    assert body["role"] == Role.AUTHENTICATED
    assert links_by_rel(body)["self"]["href"] == f"http://testserver/users/{verified_user.pk}"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "not-a-uuid", "12345", "3fa85f64-5717-4562-b3fc"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_unknown_or_malformed_id_is_404(admin_client_api, method, user_id, slash):
    response = getattr(admin_client_api, method)(f"/users/{user_id}{slash}", {"bio": "x"}, format="json")

    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


# --- Updating -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_is_partial(admin_client_api, verified_user, method):
    before = admin_client_api.get(f"/users/{verified_user.pk}").json()

    response = getattr(admin_client_api, method)(
        f"/users/{verified_user.pk}", {"first_name": "Changed", "bio": "New bio"}, format="json"
    )

    assert response.status_code == 200, response.content
    after = response.json()
    assert after["first_name"] == "Changed"
    assert after["bio"] == "New bio"
    unchanged = USER_FIELDS - {"first_name", "bio", "updated_at"}
    assert {key: after[key] for key in unchanged} == {key: before[key] for key in unchanged}
    verified_user.refresh_from_db()
    assert verified_user.first_name == "Changed"
    assert verified_user.check_password(PASSWORD)


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_update_all_profile_fields(admin_client_api, verified_user, method, slash):
    data = {
        "email": "renamed@example.com",
        "nickname": "renamed_user",
        "first_name": "Re",
        "last_name": "Named",
        "bio": "Bio",
        "profile_picture_url": "https://example.com/a.webp",
        "linkedin_profile_url": "https://linkedin.com/in/renamed",
        "github_profile_url": "http://github.com/renamed",
    }

    response = getattr(admin_client_api, method)(f"/users/{verified_user.pk}{slash}", data, format="json")

    assert response.status_code == 200, response.content
    assert {key: response.json()[key] for key in data} == data


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("body", [{}, None])
def test_update_with_empty_body_is_400(admin_client_api, verified_user, method, body):
    response = getattr(admin_client_api, method)(f"/users/{verified_user.pk}", body, format="json")

    assert response.status_code in (400, 422)
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("email", ["admin.user@example.com", "ADMIN.User@example.COM"])
def test_update_duplicate_email_is_400(admin_client_api, verified_user, method, email):
    response = getattr(admin_client_api, method)(f"/users/{verified_user.pk}", {"email": email}, format="json")

    assert response.status_code == 400
    assert "Email already exists" in response.json()["detail"]
    verified_user.refresh_from_db()
    assert verified_user.email != email


def test_update_own_email_case_is_allowed(admin_client_api, verified_user):
    response = admin_client_api.patch(
        f"/users/{verified_user.pk}", {"email": verified_user.email.upper()}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "bad"),
        ("email", None),
        ("nickname", "no spaces allowed"),
        ("profile_picture_url", "https://example.com/x.exe"),
        ("github_profile_url", "ftp://github.com/x"),
        ("last_name", "x" * 101),
        ("role", "ROOT"),
        ("first_name", ["list"]),
    ],
)
def test_update_validation_names_the_field(admin_client_api, verified_user, field, value):
    response = admin_client_api.patch(f"/users/{verified_user.pk}", {field: value}, format="json")

    assert response.status_code in (400, 422), response.content
    assert field in response.json()


def test_update_duplicate_nickname_is_400(admin_client_api, admin_user, verified_user):
    response = admin_client_api.patch(f"/users/{verified_user.pk}", {"nickname": admin_user.nickname}, format="json")

    assert response.status_code == 400
    assert "nickname" in response.json()


@pytest.mark.parametrize(
    "data",
    [
        {"password": "New*Pass1234"},
        {"is_locked": True, "email_verified": False, "failed_login_attempts": 9, "is_professional": True},
        {"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "created_at": "2000-01-01T00:00:00Z"},
    ],
)
def test_update_ignores_fields_that_are_not_editable(admin_client_api, verified_user, data):
    before = User.objects.filter(pk=verified_user.pk).values().get()

    response = admin_client_api.put(f"/users/{verified_user.pk}", data, format="json")

    assert response.status_code in (400, 422)
    assert User.objects.filter(pk=verified_user.pk).values().get() == before


def test_update_with_null_clears_optional_fields(admin_client_api):
    target = UserFactory(
        bio="Bio",
        profile_picture_url="https://example.com/a.png",
        linkedin_profile_url="https://linkedin.com/in/a",
        github_profile_url="https://github.com/a",
    )

    response = admin_client_api.patch(f"/users/{target.pk}", dict.fromkeys(OPTIONAL_FIELDS), format="json")

    assert response.status_code == 200, response.content
    assert {field: response.json()[field] for field in OPTIONAL_FIELDS} == dict.fromkeys(OPTIONAL_FIELDS)
    target.refresh_from_db()
    assert all(getattr(target, field) == "" for field in OPTIONAL_FIELDS)


@pytest.mark.parametrize("target_role", [Role.AUTHENTICATED, Role.ANONYMOUS, Role.MANAGER, Role.ADMIN])
def test_admin_changes_role(admin_client_api, target_role):
    target = UserFactory(role=Role.AUTHENTICATED)

    response = admin_client_api.put(f"/users/{target.pk}", {"role": target_role}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == target_role
    target.refresh_from_db()
    assert target.role == target_role


@pytest.mark.parametrize("method", ["put", "patch"])
def test_admin_cannot_change_own_role(admin_client_api, admin_user, method):
    response = getattr(admin_client_api, method)(f"/users/{admin_user.pk}", {"role": Role.MANAGER}, format="json")

    assert response.status_code == 400
    assert "role" in response.json()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_admin_can_edit_own_profile(admin_client_api, admin_user):
    response = admin_client_api.patch(f"/users/{admin_user.pk}", {"bio": "Me"}, format="json")

    assert response.status_code == 200


@pytest.mark.parametrize("target_role", [Role.AUTHENTICATED, Role.ANONYMOUS, Role.MANAGER])
@pytest.mark.parametrize("method", ["put", "patch"])
def test_manager_edits_non_admin(manager_client_api, target_role, method):
    target = UserFactory(role=target_role)

    response = getattr(manager_client_api, method)(f"/users/{target.pk}", {"bio": "Edited"}, format="json")

    assert response.status_code == 200
    target.refresh_from_db()
    assert target.bio == "Edited"


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("role", list(Role))
def test_manager_sending_role_on_update_is_403(manager_client_api, manager_user, verified_user, method, role):
    for target in (verified_user, manager_user):
        response = getattr(manager_client_api, method)(f"/users/{target.pk}", {"role": role}, format="json")
        assert response.status_code == 403
        target.refresh_from_db()
    assert verified_user.role == Role.AUTHENTICATED
    assert manager_user.role == Role.MANAGER


@pytest.mark.parametrize(
    ("method", "data"),
    [("put", {"bio": "hacked"}), ("patch", {"bio": "hacked"}), ("patch", {"email": "x@example.com"}), ("delete", None)],
)
def test_manager_cannot_touch_an_admin(manager_client_api, admin_user, method, data):
    response = getattr(manager_client_api, method)(f"/users/{admin_user.pk}", data, format="json")

    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    admin_user.refresh_from_db()
    assert admin_user.bio != "hacked"
    assert admin_user.email == "admin.user@example.com"


def test_manager_can_read_an_admin(manager_client_api, admin_user):
    assert manager_client_api.get(f"/users/{admin_user.pk}").status_code == 200


# --- Deleting -----------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("client_fixture", ["admin_client_api", "manager_client_api"])
def test_delete_user_then_404(request, server, client_fixture, slash):
    client = request.getfixturevalue(client_fixture)
    target = UserFactory()

    response = client.delete(f"/users/{target.pk}{slash}")

    assert response.status_code == 204
    assert response.content == b""
    assert not User.objects.filter(pk=target.pk).exists()
    assert client.get(f"/users/{target.pk}{slash}").status_code == 404
    assert client.delete(f"/users/{target.pk}{slash}").status_code == 404


def test_admin_deletes_another_admin(admin_client_api):
    other = UserFactory(admin=True)

    assert admin_client_api.delete(f"/users/{other.pk}").status_code == 204


@pytest.mark.parametrize("client_fixture", ["admin_client_api", "manager_client_api"])
def test_cannot_delete_self(request, server, client_fixture):
    client = request.getfixturevalue(client_fixture)
    me = request.getfixturevalue(client_fixture.replace("_client_api", "_user"))

    response = client.delete(f"/users/{me.pk}")

    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    assert User.objects.filter(pk=me.pk).exists()


# --- Query counts -------------------------------------------------------------


def count_queries(client, method, path, data=None):
    """Statements sent for one request, leaving out the savepoints of the test's own transaction."""
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, data, format="json")
    assert response.status_code < 300, response.content
    return len([query for query in queries if "SAVEPOINT" not in query["sql"]])


def test_retrieve_uses_a_fixed_small_number_of_queries(admin_client_api, verified_user, django_assert_num_queries):
    # The token's user and the target in one query (users.lookups, users.authentication).
    with django_assert_num_queries(1):
        assert admin_client_api.get(f"/users/{verified_user.pk}").status_code == 200


def test_list_query_count_does_not_grow_with_page_size(admin_client_api, admin_user):
    UserFactory.create_batch(105)

    small = count_queries(admin_client_api, "get", "/users/?limit=5")
    large = count_queries(admin_client_api, "get", "/users/?limit=100")

    assert small == large
    assert large <= 3


def test_update_uses_a_bounded_number_of_queries(admin_client_api, verified_user):
    UserFactory.create_batch(20)
    # A warm process: the audit row's content type is looked up once, then cached.
    count_queries(admin_client_api, "put", f"/users/{verified_user.pk}", {"bio": "warm"})

    one_field = count_queries(admin_client_api, "put", f"/users/{verified_user.pk}", {"bio": "x"})
    all_fields = count_queries(
        admin_client_api,
        "put",
        f"/users/{verified_user.pk}",
        {"email": "new.address@example.com", "nickname": "new_nick", "bio": "y", "first_name": "F"},
    )

    # The token's user, the target, its stored values (for the audit row), email and nickname
    # uniqueness, the UPDATE, the audit row.
    assert one_field <= 7
    # A new address also unverifies it and ends the sessions (token_version, refresh sessions),
    # queues a verification link and a notice to the old address, and audits the email change.
    # (+1: the notices are also written in-app.)
    assert all_fields <= 15


# --- A token's effect on the next request -------------------------------------


def test_token_from_login_manages_users(api_client):
    admin = UserFactory(admin=True)
    login = api_client.post("/login/", {"username": admin.email, "password": PASSWORD}, format="json")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access_token']}")

    assert api_client.get("/users/").status_code == 200


def test_demoted_admin_old_token_gets_403(client_for):
    admin = UserFactory(admin=True)
    client = client_for(admin)
    assert client.get("/users/").status_code == 200

    User.objects.filter(pk=admin.pk).update(role=Role.AUTHENTICATED)

    assert client.get("/users/").status_code == 403


def test_promoted_user_old_token_gets_access(client_for, verified_user):
    client = client_for(verified_user)
    assert client.get("/users/").status_code == 403

    User.objects.filter(pk=verified_user.pk).update(role=Role.MANAGER)

    assert client.get("/users/").status_code == 200


def test_manager_demoted_from_admin_cannot_use_admin_powers(client_for, verified_user):
    admin = UserFactory(admin=True)
    client = client_for(admin)
    User.objects.filter(pk=admin.pk).update(role=Role.MANAGER)

    response = client.patch(f"/users/{verified_user.pk}", {"role": Role.ADMIN}, format="json")

    assert response.status_code == 403
    verified_user.refresh_from_db()
    assert verified_user.role == Role.AUTHENTICATED


@pytest.mark.parametrize(
    "invalidate",
    [
        pytest.param(lambda user: User.objects.filter(pk=user.pk).update(is_locked=True), id="locked"),
        pytest.param(lambda user: User.objects.filter(pk=user.pk).delete(), id="deleted"),
    ],
)
def test_locked_or_deleted_admin_token_gets_401(client_for, invalidate):
    admin = UserFactory(admin=True)
    client = client_for(admin)
    assert client.get("/users/").status_code == 200

    invalidate(admin)

    response = client.get("/users/")
    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)


def _expired(user):
    token = access_token_for(user)
    token.set_exp(from_time=datetime.now(UTC) - timedelta(hours=1))
    return str(token)


def _wrong_key(user):
    payload = jwt.decode(str(access_token_for(user)), options={"verify_signature": False})
    return jwt.encode(payload, "another-secret-key-that-is-long-enough-for-hs256", algorithm="HS256")


def _none_alg(user):
    payload = jwt.decode(str(access_token_for(user)), options={"verify_signature": False})
    return jwt.encode(payload, None, algorithm="none")


def _unknown_user(user):
    token = access_token_for(user)
    token["sub"] = str(uuid.uuid4())
    return str(token)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(_expired, id="expired"),
        pytest.param(lambda user: "garbage", id="garbage"),
        pytest.param(lambda user: str(access_token_for(user)).rsplit(".", 1)[0] + "." + "A" * 43, id="bad-signature"),
        pytest.param(_wrong_key, id="wrong-key"),
        pytest.param(_none_alg, id="alg-none"),
        pytest.param(_unknown_user, id="unknown-sub"),
        pytest.param(lambda user: "", id="empty"),
    ],
)
def test_bad_token_is_401(admin_user, make_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(admin_user)}")

    response = client.get("/users/")

    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("header", [None, "Basic YWRtaW46cGFzcw==", "Token abc"])
def test_missing_bearer_token_is_401_with_www_authenticate(api_client, admin_user, header):
    if header:
        api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get("/users/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["detail"], str)
