"""No secret in any log: every route whose URL carries a token, found in the URLconf
itself (not a list kept by hand), is requested with a fresh token, and the token
appears in no formatted log line."""

import itertools
import logging
import secrets

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from core.logging import SECRET_PARAMETER, JSONFormatter, RequestIDFilter, TextFormatter, redact

SAMPLES = ("0b7c6a1e-1d2f-4c3b-9a8e-7f6d5c4b3a21", "MQ", "42", "abc")


def token_routes(patterns=None, namespace=""):
    """(name, kwarg names) of every named route with a token-like kwarg."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from token_routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names = tuple(entry.pattern.regex.groupindex)
            if any(SECRET_PARAMETER.search(name) for name in names):
                yield namespace + entry.name, names


def url_with_secret(name, kwargs, secret):
    others = [kwarg for kwarg in kwargs if not SECRET_PARAMETER.search(kwarg)]
    for values in itertools.product(SAMPLES, repeat=len(others)):
        filled = dict(zip(others, values, strict=True)) | {
            kwarg: secret for kwarg in kwargs if SECRET_PARAMETER.search(kwarg)
        }
        try:
            return reverse(name, kwargs=filled)
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a URL for {name}")


def formatted(records):
    filt, json_formatter = RequestIDFilter(), JSONFormatter()
    text_formatter = TextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    for record in records:
        filt.filter(record)
        yield json_formatter.format(record)
        yield text_formatter.format(record)


ROUTES = sorted(token_routes())


def test_the_urlconf_has_the_token_routes_we_know_of():
    names = {name for name, _ in ROUTES}
    assert {"verify-email", "password_reset_confirm"} <= names


@pytest.mark.parametrize(("name", "kwargs"), ROUTES, ids=[name for name, _ in ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_token_in_the_path_reaches_no_log_line(client, db, caplog, name, kwargs, method):
    secret = "Sec" + secrets.token_hex(12)
    url = url_with_secret(name, kwargs, secret)
    with caplog.at_level(logging.DEBUG):
        getattr(client, method)(url, HTTP_ACCEPT="text/html")
        logging.getLogger("demo").warning("Not Found: %s", url)  # any logger quoting the path
    lines = list(formatted(caplog.records))
    assert lines, "nothing was logged: the test would pass vacuously"
    assert not [line for line in lines if secret in line]


def test_a_token_in_a_query_reaches_no_log_line(client, db, caplog):
    secret = "Sec" + secrets.token_hex(12)
    with caplog.at_level(logging.DEBUG):
        client.get(f"/users/me/events.ics?token={secret}")
        logging.getLogger("demo").warning("GET /users/me/events.ics?token=%s&x=1", secret)
        logging.getLogger("demo").warning("GET /any/path?calendar_token=%s", secret)
    lines = list(formatted(caplog.records))
    assert lines and not [line for line in lines if secret in line]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"path": "/verify-email/u1/tok-1", "status": 400}', '{"path": "/verify-email/u1/[redacted]", "status": 400}'),
        ("GET '/reset/MQ/c9z-0123abcd/' 302", "GET '/reset/MQ/[redacted]/' 302"),
        ("/reset/MQ/set-password/", "/reset/MQ/[redacted]/"),
        ("/users/me/events.ics?token=abc&x=1", "/users/me/events.ics?token=[redacted]&x=1"),
        ("/users/3fa85f64/ and /events/", "/users/3fa85f64/ and /events/"),
    ],
)
def test_redaction_keeps_the_rest_of_the_line(text, expected):
    assert redact(text) == expected
