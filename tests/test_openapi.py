"""The OpenAPI schema, Swagger UI and ReDoc: complete, valid and working offline."""

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

AUTH_TAG = "Login and Registration"
USERS_TAG = "User Management Requires (Admin or Manager Roles)"
HEALTH_TAG = "Health"
NOTIFICATIONS_TAG = "Notifications"
EXPECTED_OPERATIONS = {
    ("/register/", "post"): AUTH_TAG,
    ("/login/", "post"): AUTH_TAG,
    ("/verify-email/{user_id}/{token}/", "get"): AUTH_TAG,
    ("/users/", "get"): USERS_TAG,
    ("/users/", "post"): USERS_TAG,
    ("/users/{id}/", "get"): USERS_TAG,
    ("/users/{id}/", "put"): USERS_TAG,
    ("/users/{id}/", "patch"): USERS_TAG,
    ("/users/{id}/", "delete"): USERS_TAG,
    ("/health/", "get"): HEALTH_TAG,
    ("/notifications/", "get"): NOTIFICATIONS_TAG,
    ("/notifications/{id}/read/", "post"): NOTIFICATIONS_TAG,
    ("/notifications/read-all/", "post"): NOTIFICATIONS_TAG,
    ("/users/me/notification-preferences/", "get"): NOTIFICATIONS_TAG,
    ("/users/me/notification-preferences/", "put"): NOTIFICATIONS_TAG,
}
ACCOUNT_TAG = "My Account (any logged-in user)"
AUDIT_TAG = "Audit trail (Admin)"
EXPECTED_OPERATIONS.update(
    {
        ("/users/me/", "get"): ACCOUNT_TAG,
        ("/users/me/", "put"): ACCOUNT_TAG,
        ("/users/me/", "patch"): ACCOUNT_TAG,
        ("/users/me/", "delete"): ACCOUNT_TAG,
        ("/users/me/password/", "post"): ACCOUNT_TAG,
        ("/logout/all/", "post"): ACCOUNT_TAG,
        ("/token/refresh/", "post"): AUTH_TAG,
        ("/logout/", "post"): AUTH_TAG,
        ("/password-reset/", "post"): AUTH_TAG,
        ("/password-reset/confirm/", "post"): AUTH_TAG,
        ("/verify-email/resend/", "post"): AUTH_TAG,
        ("/users/{id}/unlock/", "post"): USERS_TAG,
        ("/users/{id}/professional/", "post"): USERS_TAG,
        ("/users/{id}/audit/", "get"): AUDIT_TAG,
        ("/audit/", "get"): AUDIT_TAG,
    }
)
EVENTS_TAG, REGISTRATIONS_TAG, CALENDAR_TAG = "Events", "Event registrations", "Calendar"
EXPECTED_OPERATIONS.update(
    {
        ("/events/", "get"): EVENTS_TAG,
        ("/events/", "post"): EVENTS_TAG,
        ("/events/{id}/", "get"): EVENTS_TAG,
        ("/events/{id}/", "put"): EVENTS_TAG,
        ("/events/{id}/", "patch"): EVENTS_TAG,
        ("/events/{id}/", "delete"): EVENTS_TAG,
        ("/events/{id}/submit/", "post"): EVENTS_TAG,
        ("/events/{id}/approve/", "post"): EVENTS_TAG,
        ("/events/{id}/reject/", "post"): EVENTS_TAG,
        ("/events/{id}/cancel/", "post"): EVENTS_TAG,
        ("/events/{id}/registrations/", "get"): REGISTRATIONS_TAG,
        ("/events/{id}/registrations/", "post"): REGISTRATIONS_TAG,
        ("/events/{id}/registrations/me/", "get"): REGISTRATIONS_TAG,
        ("/events/{id}/registrations/me/", "delete"): REGISTRATIONS_TAG,
        ("/events/{id}/registrations/{user_id}/check-in/", "post"): REGISTRATIONS_TAG,
        ("/events/{id}/registrations.csv", "get"): REGISTRATIONS_TAG,
        ("/users/me/registrations/", "get"): REGISTRATIONS_TAG,
        ("/events/{id}.ics", "get"): CALENDAR_TAG,
        ("/users/me/calendar-token/", "post"): CALENDAR_TAG,
        ("/users/me/calendar-token/", "delete"): CALENDAR_TAG,
        ("/users/me/events.ics", "get"): CALENDAR_TAG,
    }
)
FACTORS_TAG = "Two-step sign-in (any logged-in user)"
EXPECTED_OPERATIONS.update(
    {
        ("/users/me/factors/", "get"): FACTORS_TAG,
        ("/users/me/factors/totp/", "post"): FACTORS_TAG,
        ("/users/me/factors/totp/", "delete"): FACTORS_TAG,
        ("/users/me/factors/totp/confirm/", "post"): FACTORS_TAG,
        ("/users/me/factors/recovery-codes/", "post"): FACTORS_TAG,
        ("/users/me/factors/passkeys/{id}/", "delete"): FACTORS_TAG,
    }
)
PROTECTED_EVENT_TAGS = (EVENTS_TAG, REGISTRATIONS_TAG)
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
CDN_HOSTS = ("cdn.jsdelivr", "unpkg", "cdnjs", "googleapis", "gstatic", "cloudflare")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(("application/vnd.oai.openapi+json", "application/json"))
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def example_values(node):
    """Every `example`/`examples` value anywhere below `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "example":
                yield value
            elif key == "examples" and isinstance(value, dict):
                yield from (example.get("value") for example in value.values())
            else:
                yield from example_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from example_values(item)


def resolve(schema, node):
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3")
    assert schema["info"]["title"]
    assert schema["info"]["version"]
    validate_schema(schema)


def test_schema_describes_every_endpoint(schema):
    found = {(path, method) for path, method, _ in operations(schema)}

    assert found == set(EXPECTED_OPERATIONS)


@pytest.mark.parametrize(("path", "method"), list(EXPECTED_OPERATIONS))
def test_each_operation_has_summary_tag_errors_and_examples(schema, path, method):
    operation = schema["paths"][path][method]

    assert operation.get("summary")
    assert operation["tags"] == [EXPECTED_OPERATIONS[(path, method)]]
    codes = set(operation["responses"])
    assert any(code.startswith("2") for code in codes)
    if EXPECTED_OPERATIONS[(path, method)] != HEALTH_TAG:
        assert any(code.startswith("4") for code in codes), codes
    for code, response in operation["responses"].items():
        assert response.get("description") or response.get("content"), code
    assert list(example_values(operation)) or any(
        example_values(resolve(schema, content["schema"]))
        for response in operation["responses"].values()
        for content in response.get("content", {}).values()
    )


def test_operation_summaries_are_distinct(schema):
    summaries = [(path, method, operation["summary"]) for path, method, operation in operations(schema)]

    assert len({summary for *_, summary in summaries}) == len(summaries), summaries


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/register/", "post", {"201", "400", "429"}),
        ("/login/", "post", {"200", "400", "401", "429"}),
        ("/verify-email/{user_id}/{token}/", "get", {"200", "400", "404", "429"}),
        ("/users/", "get", {"200", "400", "401", "403"}),
        ("/users/", "post", {"201", "400", "401", "403"}),
        ("/users/{id}/", "get", {"200", "401", "403", "404"}),
        ("/users/{id}/", "put", {"200", "400", "401", "403", "404"}),
        ("/users/{id}/", "patch", {"200", "400", "401", "403", "404"}),
        ("/users/{id}/", "delete", {"204", "401", "403", "404"}),
        ("/health/", "get", {"200", "503"}),
    ],
)
def test_documented_status_codes(schema, path, method, codes):
    assert codes <= set(schema["paths"][path][method]["responses"])


@pytest.mark.parametrize(("path", "method"), [("/register/", "post"), ("/users/", "post"), ("/users/{id}/", "put")])
def test_write_operations_have_request_examples(schema, path, method):
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    assert body.get("examples") or body.get("example")


@pytest.mark.parametrize("path", ["/users/me/", "/users/me/factors/totp/"])
def test_deletes_that_need_a_password_document_their_body(schema, path):
    # Without it Swagger UI cannot send the password, and a program reading the schema cannot know it.
    body = schema["paths"][path]["delete"]["requestBody"]
    assert body["required"] is True
    content = body["content"]["application/json"]
    assert content["examples"] and "password" in next(iter(content["examples"].values()))["value"]


def test_login_accepts_form_and_json(schema):
    content = schema["paths"]["/login/"]["post"]["requestBody"]["content"]

    assert {"application/x-www-form-urlencoded", "application/json"} <= set(content)
    login = resolve(schema, content["application/x-www-form-urlencoded"]["schema"])
    assert {"username", "password"} <= set(login["required"])


def test_user_schema_has_no_secrets(schema):
    user = resolve(schema, {"$ref": "#/components/schemas/User"})

    assert "password" not in user["properties"]
    assert {"id", "email", "role", "links", "email_verified", "is_locked"} <= set(user["properties"])
    page = resolve(schema, {"$ref": "#/components/schemas/PaginatedUserList"})
    assert {"items", "total", "page", "size", "links"} <= set(page["properties"])


def test_one_security_scheme_the_oauth2_password_flow(schema):
    """Swagger UI's Authorize dialog then offers one way in: the password flow against /login/."""
    [(name, scheme)] = schema["components"]["securitySchemes"].items()

    assert (name, scheme["type"], scheme["flows"]) == (
        "OAuth2PasswordBearer",
        "oauth2",
        {"password": {"tokenUrl": "/login/", "scopes": {}}},
    )
    assert "Authorization: Bearer" in scheme["description"]


def test_user_endpoints_need_the_scheme_and_public_ones_none(schema):
    for path, method, operation in operations(schema):
        security = operation.get("security", [])
        if EXPECTED_OPERATIONS.get((path, method)) in (
            USERS_TAG,
            NOTIFICATIONS_TAG,
            ACCOUNT_TAG,
            AUDIT_TAG,
            FACTORS_TAG,
        ) or (
            EXPECTED_OPERATIONS.get((path, method)) in PROTECTED_EVENT_TAGS
            or (EXPECTED_OPERATIONS.get((path, method)) == CALENDAR_TAG and path != "/users/me/events.ics")
        ):
            assert security == [{"OAuth2PasswordBearer": []}], (path, method, security)
        elif (path, method) in EXPECTED_OPERATIONS:
            assert security in ([], [{}]), (path, method, security)
        else:  # other apps' endpoints: the one scheme, optional or not
            assert security in ([], [{}], [{"OAuth2PasswordBearer": []}], [{"OAuth2PasswordBearer": []}, {}])


def test_spectacular_command_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    stderr = StringIO()

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=stderr)

    assert out.read_text().startswith("openapi: 3")
    assert "Warning" not in stderr.getvalue()
    assert "Error" not in stderr.getvalue()


# --- Swagger UI and ReDoc -----------------------------------------------------


def local_assets(html):
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)


@pytest.mark.parametrize("path", ["/docs", "/docs/", "/redoc", "/redoc/"])
def test_docs_pages_use_only_local_assets(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for host in CDN_HOSTS:
        assert host not in html
    assets = local_assets(html)
    assert any(asset.endswith(".js") or "script" in asset for asset in assets), assets
    for asset in assets:
        parts = urlsplit(asset)
        assert not parts.netloc, asset
        asset_response = api_client.get(asset)
        assert asset_response.status_code == 200, asset
        body = b"".join(asset_response.streaming_content) if asset_response.streaming else asset_response.content
        assert body
        if parts.path.endswith(".js") or "script" in parts.query:
            assert "javascript" in asset_response["Content-Type"]
        if "script" in parts.query:
            for host in CDN_HOSTS:
                assert host.encode() not in body, (asset, host)


def test_swagger_ui_points_at_the_schema(api_client):
    script = api_client.get("/docs?script=").content.decode()

    assert "/openapi.json" in script


def test_redoc_points_at_the_schema(api_client):
    assert '"/openapi.json"' in api_client.get("/redoc").content.decode()


def test_swagger_authorize_form_logs_in(api_client):
    """What Swagger UI's Authorize (OAuth2 password flow) sends to the tokenUrl."""
    from tests.factories import PASSWORD, UserFactory

    user = UserFactory()
    response = api_client.post(
        "/login/",
        f"grant_type=password&username={user.email}&password={PASSWORD.replace('*', '%2A')}&scope=",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


@pytest.mark.parametrize("path", ["/openapi.json", "/openapi.json/", "/docs", "/docs/", "/redoc", "/redoc/"])
def test_documentation_paths_work_with_and_without_trailing_slash(api_client, db, path):
    assert api_client.get(path).status_code == 200


def test_favicon_is_served(api_client):
    response = api_client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content.startswith(b"\x00\x00\x01\x00")
    for page in ("/docs", "/redoc", "/admin/login/"):
        assert 'href="/favicon.ico"' in api_client.get(page).content.decode(), page


def test_redoc_bundle_loads_nothing_from_a_cdn(api_client):
    response = api_client.get("/redoc/redoc.standalone.js")

    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert b"Redoc" in response.content
    assert b"cdn.redoc.ly" not in response.content
