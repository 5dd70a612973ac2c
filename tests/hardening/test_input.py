"""No input reaches a 500: hostile JSON, oversized bodies, hostile URLs, huge numbers."""

import json

import pytest

from tests.factories import PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db

DEEP = 1000


def nested(depth: int, kind: str = "list") -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


def post_raw(client, path, body, content_type="application/json"):
    return client.generic("POST", path, body, content_type=content_type)


@pytest.mark.parametrize("path", ["/register/", "/login/", "/users/"])
@pytest.mark.parametrize("kind", ["list", "object"])
def test_json_nested_a_thousand_levels_is_a_400_naming_the_limit(api_client, path, kind):
    response = post_raw(api_client, path, nested(DEEP, kind))

    assert response.status_code == 400 if path != "/users/" else response.status_code in (400, 401), response.content
    if response.status_code == 400:
        assert "nested deeper than 32 levels" in response.json()["detail"]
    assert not User.objects.exists()


def test_json_nesting_at_the_limit_is_parsed(api_client):
    body = {"email": "deep@example.com", "password": PASSWORD, "bio": None}
    text = json.dumps(body)[:-1] + ', "x": ' + nested(31) + "}"  # 32 levels with the outer object

    response = post_raw(api_client, "/register/", text)

    assert response.status_code == 201, response.content


def test_brackets_inside_strings_do_not_count_as_nesting(api_client):
    body = {"email": "brackets@example.com", "password": PASSWORD, "bio": "[" * 400}

    response = api_client.post("/register/", body, format="json")

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", lambda size: json.dumps({"username": "a@example.com", "password": "x" * size})),
        ("application/x-www-form-urlencoded", lambda size: "username=a%40example.com&password=" + "x" * size),
    ],
    ids=["json", "form"],
)
def test_body_over_data_upload_max_memory_size_is_a_413(api_client, settings, content_type, body):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = post_raw(api_client, "/login/", body(20_000), content_type)

    assert response.status_code == 413, response.content
    assert "at most 10000 bytes" in response.json()["detail"]


def test_body_size_limit_is_set_deliberately(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024


@pytest.mark.parametrize("body", ["{", '{"a": 1,}', "\udcff", "NaN", '{"a": NaN}', "[" * 32 + "]" * 31])
def test_malformed_json_is_a_400_with_detail(api_client, body):
    response = post_raw(api_client, "/register/", body.encode("utf-8", "surrogatepass"))

    assert response.status_code == 400, response.content
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("profile_picture_url", "http://[::1/a.png"),
        ("profile_picture_url", "http://[::1]x/a.png"),
        ("profile_picture_url", "https://[/a.jpg"),
        ("linkedin_profile_url", "http://[::1/a"),
        ("github_profile_url", "http://[::1"),
        ("profile_picture_url", "http://exa\u0000mple.com/a.png"),
    ],
)
def test_hostile_urls_are_a_400_naming_the_field(api_client, field, value):
    response = api_client.post(
        "/register/", {"email": "url@example.com", "password": PASSWORD, field: value}, format="json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "query",
    [f"skip={2**63}", f"skip={2**63 + 1}&limit=10", f"skip={10**40}", f"skip={2**31}"],
)
def test_out_of_range_skip_is_a_400_naming_the_parameter(admin_client_api, query):
    """`skip` above PostgreSQL's bigint used to reach SQL: 500 (bigint out of range)."""
    response = admin_client_api.get(f"/users/?{query}")

    assert response.status_code in (400, 422), response.content
    assert "skip" in response.json()


@pytest.mark.parametrize("limit", [101, 2**63, 10**40])
def test_a_huge_limit_is_capped_not_an_error(admin_client_api, settings, limit):
    """The contract caps `limit` (USERS_PAGE_MAX_LIMIT) rather than refusing it."""
    response = admin_client_api.get(f"/users/?limit={limit}")

    assert response.status_code == 200, response.content
    assert f"limit={settings.USERS_PAGE_MAX_LIMIT}" in response.json()["links"][0]["href"]
