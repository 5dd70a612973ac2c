"""A Bearer request to the API skips the browser-only middleware (core.bearer) and loses
nothing that protects it: its security headers, CSRF for cookie sessions, immediate
revocation and its query count stay as they were."""

import pytest
from csp.utils import build_policy
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from core.bearer import API_SEGMENTS, is_token_request
from core.views import metrics
from tests.factories import UserFactory
from users.services import session_logout_all

pytestmark = pytest.mark.django_db

SESSION = settings.SESSION_COOKIE_NAME


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/users/x", {"HTTP_AUTHORIZATION": "Bearer abc"}, True),
        ("/users/x", {"HTTP_AUTHORIZATION": "bearer abc"}, True),  # the scheme is case-insensitive
        ("/events/", {"HTTP_AUTHORIZATION": "Bearer abc", "HTTP_COOKIE": "csrftoken=x"}, True),
        ("/users/x", {"HTTP_AUTHORIZATION": "Bearer abc", "HTTP_COOKIE": f"{SESSION}=abc"}, False),
        ("/users/x", {"HTTP_AUTHORIZATION": "Basic abc"}, False),
        ("/users/x", {}, False),
        ("/", {"HTTP_AUTHORIZATION": "Bearer abc"}, False),
        ("/app/events/", {"HTTP_AUTHORIZATION": "Bearer abc"}, False),
        ("/admin/", {"HTTP_AUTHORIZATION": "Bearer abc"}, False),
        ("/docs", {"HTTP_AUTHORIZATION": "Bearer abc"}, False),
        ("/usersx/", {"HTTP_AUTHORIZATION": "Bearer abc"}, False),
    ],
)
def test_which_requests_are_token_requests(path, headers, expected):
    assert is_token_request(RequestFactory().get(path, **headers)) is expected


def _api_patterns(resolver=None, prefix=""):
    """(route text, callback) of every URL pattern, with its full route."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^")
        if isinstance(pattern, URLResolver):
            yield from _api_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def test_every_route_a_token_request_can_reach_is_an_api_view():
    """A token request gets no session, messages or CSRF cookie: only DRF views (and
    /metrics, which reads the header itself) may sit under API_SEGMENTS."""
    reached = {}
    for route, callback in _api_patterns():
        segment = route.partition("/")[0].rstrip("?$").removesuffix("/?")
        if segment in API_SEGMENTS:
            reached[route] = callback
    assert reached
    not_api = [route for route, callback in reached.items() if not hasattr(callback, "cls") and callback is not metrics]
    assert not_api == []


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@pytest.mark.parametrize("path", ["/users/{target}", "/users/does-not-exist", "/users/me"])
def test_a_token_request_keeps_every_security_header(admin_client_api, verified_user, path):
    response = admin_client_api.get(path.format(target=verified_user.pk))
    for header, value in SECURITY_HEADERS.items():
        assert response[header] == value
    assert response["Content-Security-Policy"] == build_policy()
    assert response["X-Request-ID"]
    # Nothing of a browser session: no cookie set, no Vary on it.
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_a_token_request_loads_no_session_and_no_csrf_token(admin_client_api, verified_user):
    response = admin_client_api.get(f"/users/{verified_user.pk}")
    request = response.wsgi_request
    assert response.status_code == 200
    assert not hasattr(request, "session")
    assert "CSRF_COOKIE" not in request.META
    assert not hasattr(request, "_messages")
    assert request.user == response.renderer_context["request"].user  # the token's user, set by DRF


def test_a_token_request_is_one_query(admin_client_api, verified_user, django_assert_num_queries):
    with django_assert_num_queries(1):  # the token's user and the target (users.lookups)
        assert admin_client_api.get(f"/users/{verified_user.pk}").status_code == 200


def test_revocation_is_still_immediate(admin_client_api, admin_user, verified_user):
    assert admin_client_api.get(f"/users/{verified_user.pk}").status_code == 200
    session_logout_all(user=admin_user)
    response = admin_client_api.get(f"/users/{verified_user.pk}")
    assert response.status_code == 401
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_bad_token_is_still_refused(api_client, verified_user):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get(f"/users/{verified_user.pk}")
    assert response.status_code == 401
    assert response["Content-Security-Policy"] == build_policy()


def test_a_session_request_with_a_bearer_header_still_needs_its_csrf_token(verified_user):
    """The session cookie sends a request the full way: a form post without its token is
    refused, whatever Authorization header rides along."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(verified_user)
    data = {"time_zone": "UTC"}
    response = client.post("/app/account/settings/", data, HTTP_AUTHORIZATION="Bearer whatever")
    assert response.status_code == 403

    client.get("/app/account/settings/", HTTP_AUTHORIZATION="Bearer whatever")
    token = client.cookies["csrftoken"].value
    response = client.post("/app/account/settings/", data, HTTP_AUTHORIZATION="Bearer whatever", HTTP_X_CSRFTOKEN=token)
    assert response.status_code in (200, 302)


def test_a_page_is_never_a_token_request():
    """A page route with a Bearer header and no session still gets its session, CSRF
    cookie and strict policy: a form post there without the token is refused."""
    client = Client(enforce_csrf_checks=True)
    response = client.get("/app/login/", HTTP_AUTHORIZATION="Bearer whatever")
    assert response.status_code == 200
    assert "csrftoken" in client.cookies
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]  # portal.csp's strict policy
    response = client.post("/app/login/", {"email": "a@example.com"}, HTTP_AUTHORIZATION="Bearer whatever")
    assert response.status_code == 403


def test_an_api_request_with_the_session_cookie_goes_the_full_way(admin_token, verified_user):
    member = UserFactory()
    client = Client()
    client.force_login(member)
    response = client.get(f"/users/{verified_user.pk}", HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    assert response.status_code == 200
    assert hasattr(response.wsgi_request, "session")


def test_the_policy_follows_the_settings(admin_client_api, verified_user):
    policy = dict(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"], "default-src": ["'none'"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        response = admin_client_api.get(f"/users/{verified_user.pk}")
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert response["Content-Security-Policy"] == build_policy()
    assert admin_client_api.get(f"/users/{verified_user.pk}")["Content-Security-Policy"] == build_policy()
