import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# No 5xx; only documented status codes and content types; bodies as documented.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="session")
def api_schema_document(django_db_setup, django_db_blocker):
    """/openapi.json as the app serves it, bound to the app itself (WSGI, in-process)."""
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())


@pytest.fixture
def api_schema(api_schema_document, db, settings):
    """The schema, its requests sharing the test's transaction; throttling off, so every
    example reaches the validators instead of a 429 (tests that want a 429 turn it on)."""
    settings.AUTH_THROTTLE_RATE = None
    # As Django's test client does: the end of a request must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield api_schema_document
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
