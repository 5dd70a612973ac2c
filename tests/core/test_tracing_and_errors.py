"""Traces (OpenTelemetry) and error reports (Sentry): off unless configured, and when on,
tied to the request id and scrubbed of secrets."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core import observability

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "event-manager"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
    ],
)
def test_tracing_is_opt_in_by_the_standard_variables(environ, expected):
    assert observability.tracing_requested(environ) is expected


def _django(code: str, **environ: str) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() with the production settings, in a clean environment."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="event_manager.settings",
        PYTHONPATH=str(ROOT),
        SECRET_KEY="tracing-test-secret-key-0123456789abcdef",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL="sqlite:///:memory:",
        LOG_FORMAT="json",
        **environ,
    )
    script = "import django\ndjango.setup()\n" + code
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_off_by_default_neither_sdk_is_loaded():
    result = _django(
        "import sys\nfrom django.test import Client\nClient().get('/health')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'opentelemetry', 'sentry_sdk'}))"
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
    assert '"trace_id"' not in result.stderr


def test_traces_carry_the_request_id_and_logs_the_trace_id():
    result = _django(
        "from django.test import Client\n"
        "Client().get('/verify-email/someone/secret-token-123', HTTP_X_REQUEST_ID='req-abc.1')\n",
        OTEL_TRACES_EXPORTER="console",
    )
    access = [json.loads(line) for line in result.stderr.splitlines() if '"event_manager.access"' in line]
    assert len(access) == 1, result.stderr
    trace_id = access[0]["trace_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    span = json.loads(result.stdout[result.stdout.index("{") :])
    assert span["context"]["trace_id"] == f"0x{trace_id}"
    assert span["attributes"]["http.request_id"] == "req-abc.1"
    assert "secret-token-123" not in result.stdout
    assert span["resource"]["attributes"]["service.name"] == "event-manager"


def test_sentry_starts_only_with_a_dsn_and_with_the_scrubber(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    observability.setup()
    assert calls == []
    observability.setup(sentry_dsn="https://key@sentry.example.invalid/1", sentry_environment="staging")
    [options] = calls
    assert options["before_send"] is observability.scrub_event
    assert options["send_default_pii"] is False
    assert options["include_local_variables"] is False
    assert options["environment"] == "staging"


SECRETS = [
    "Hunter2!pass",
    "N3w!password",
    "eyJhbGciOiJIUzI1NiJ9.payload.signature",
    "refresh-abc-123",
    "sessionid-value-42",
    "csrftoken-value-43",
    "jane.doe@example.com",
    "calendar-feed-token-44",
    "reset-token-45",
]


def _django_event():
    """An event as sentry-sdk's Django integration sends it for a failed password change."""
    return {
        "event_id": "9f6a3c1e4b2d4f6a8c0e2b4d6f8a0c2e",
        "level": "error",
        "platform": "python",
        "transaction": "/users/me/password",
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "No account for jane.doe@example.com",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "users/services/passwords.py",
                                "function": "user_change_password",
                                "lineno": 42,
                                "vars": {"old_password": "'Hunter2!pass'", "user": "<User: jane.doe@example.com>"},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://events.example.org/users/me/password",
            "method": "POST",
            "query_string": "token=calendar-feed-token-44&format=ics",
            "headers": {
                "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature",
                "Cookie": "sessionid=sessionid-value-42; csrftoken=csrftoken-value-43",
                "Content-Type": "application/json",
                "X-Request-Id": "req-1",
            },
            "cookies": {"sessionid": "sessionid-value-42", "csrftoken": "csrftoken-value-43"},
            "data": {
                "old_password": "Hunter2!pass",
                "new_password": "N3w!password",
                "refresh_token": "refresh-abc-123",
            },
            "env": {"SERVER_NAME": "web", "SERVER_PORT": "8000"},
        },
        "user": {"id": "3f8e2b8a", "email": "jane.doe@example.com"},
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": 'SELECT ... FROM "users_user" WHERE email = %s',
                    "data": {"db.params": ["jane.doe@example.com"]},
                },
                {"category": "httplib", "data": {"url": "http://mail/reset?token=reset-token-45"}},
                {"category": "log", "message": "login failed for jane.doe@example.com"},
            ]
        },
        "extra": {"sys.argv": ["gunicorn"], "headers": [["authorization", "Bearer refresh-abc-123"]]},
        "contexts": {"trace": {"trace_id": "3e4c75efbd2c9aeb063417873a995631", "span_id": "8e23f32b1a8908f1"}},
    }


def test_scrubbed_event_keeps_no_secret_and_no_address():
    scrubbed = json.dumps(observability.scrub_event(_django_event(), {}))
    for secret in SECRETS:
        assert secret not in scrubbed


def test_scrubbed_event_keeps_what_debugging_needs():
    event = observability.scrub_event(_django_event(), {})
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["exception"]["values"][0]["value"] == "No account for [Filtered]"
    assert event["request"]["url"] == "https://events.example.org/users/me/password"
    assert event["request"]["headers"]["Content-Type"] == "application/json"
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert event["request"]["query_string"] == "token=[Filtered]&format=ics"
    assert event["user"] == {"id": "3f8e2b8a", "email": "[Filtered]"}
    assert event["contexts"]["trace"]["trace_id"] == "3e4c75efbd2c9aeb063417873a995631"
    assert event["breadcrumbs"]["values"][0]["message"] == 'SELECT ... FROM "users_user" WHERE email = %s'
