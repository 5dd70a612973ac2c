"""Request ids, the access log line, secret redaction and security headers."""

import json
import logging
import re

import pytest

from core.logging import JSONFormatter, RequestIDFilter, TextFormatter, redact


def test_response_carries_a_generated_request_id(api_client, db):
    response = api_client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_sane_incoming_request_id_is_propagated(api_client, db):
    response = api_client.get("/health", HTTP_X_REQUEST_ID="trace-abc.123")
    assert response["X-Request-ID"] == "trace-abc.123"


@pytest.mark.parametrize("incoming", ["x" * 65, "bad id", "<script>", "a;b"])
def test_an_unsafe_incoming_request_id_is_replaced(api_client, db, incoming):
    response = api_client.get("/health", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def _access_records(caplog):
    return [record for record in caplog.records if record.name == "event_manager.access"]


def test_one_access_line_per_request_with_user_id(admin_client_api, admin_user, caplog):
    with caplog.at_level(logging.INFO, logger="event_manager.access"):
        response = admin_client_api.get("/users/?skip=0&limit=1")
    [record] = _access_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/users/", 200)
    assert record.user_id == str(admin_user.pk)
    assert record.duration_ms >= 0
    assert response["X-Request-ID"]


def test_access_line_for_anonymous_request_has_no_user(api_client, db, caplog):
    with caplog.at_level(logging.INFO, logger="event_manager.access"):
        api_client.get("/users/")
    [record] = _access_records(caplog)
    assert (record.status, record.user_id) == (401, None)


def test_verification_token_never_reaches_the_access_log(api_client, user, caplog):
    with caplog.at_level(logging.INFO, logger="event_manager.access"):
        api_client.get(f"/verify-email/{user.pk}/secret-token123")
    [record] = _access_records(caplog)
    assert "secret-token123" not in record.path
    assert record.path == f"/verify-email/{user.pk}/[redacted]"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /verify-email/0b7c/abc-123def HTTP/1.1", "abc-123def"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ("username=a%40b.c&password=Hunter2%21", "Hunter2%21"),
    ],
)
def test_redact_removes_secrets(text, secret):
    assert secret not in redact(text)
    assert "[redacted]" in redact(text)


def _record(message, **extra):
    record = logging.LogRecord("demo", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    RequestIDFilter().filter(record)
    return record


def test_json_formatter_writes_one_object_with_extras():
    line = JSONFormatter().format(_record("hello /verify-email/id/tok-en", status=201))
    entry = json.loads(line)
    assert entry["message"] == "hello /verify-email/id/[redacted]"
    assert entry["status"] == 201
    assert entry["level"] == "INFO"
    assert "request_id" in entry
    assert "\n" not in line


def test_json_formatter_redacts_objects_that_only_become_text_when_serialised():
    class FakeRequest:
        def __repr__(self):
            return "<WSGIRequest: GET '/verify-email/0b7c/abc-123def'>"

    line = JSONFormatter().format(_record("Internal Server Error", request=FakeRequest(), status_code=500))
    assert "abc-123def" not in line
    assert json.loads(line)["request"] == "<WSGIRequest: GET '/verify-email/0b7c/[redacted]'>"


def test_text_formatter_appends_extras_and_redacts():
    formatter = TextFormatter("%(levelname)s %(message)s")
    assert formatter.format(_record("login", path="/verify-email/u/tok-1")) == (
        "INFO login path=/verify-email/u/[redacted]"
    )


def test_security_headers_on_api_responses(api_client, db):
    response = api_client.get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_swagger_page_needs_no_inline_script(client, db):
    page = client.get("/docs").content.decode()
    assert "<script>" not in page
    assert 'src="/docs?script' in page
    script = client.get("/docs?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_redoc_inline_script_carries_the_csp_nonce(client, db):
    response = client.get("/redoc")
    nonce = re.search(r'<script nonce="([^"]+)">', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert "fonts.googleapis.com" not in response.content.decode()
