"""Property-based tests of the whole API against its own OpenAPI schema.

Schemathesis reads /openapi.json, generates requests for every operation (valid
and invalid ones) and checks each answer: never a 5xx, a status code, content type
and body the schema documents for it. It runs every operation twice: with an ADMIN's
bearer token and with no token. Examples are derandomized: every run sends the same
requests, so a failure reproduces (SCHEMATHESIS_EXAMPLES=n explores further).
"""

import os
import zlib
from collections import Counter
from contextlib import contextmanager

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, settings

from tests.factories import UserFactory
from users.authentication import access_token_for

from .conftest import CHECKS

# CI's bar is PostgreSQL with >= 100 examples per operation and per token; SQLite (the
# other `make test` run) gets a lighter pass over the same operations, to keep CI short.
ON_POSTGRESQL = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES") or (100 if ON_POSTGRESQL else 25))
schema = schemathesis.pytest.from_fixture("api_schema")

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def calls(api_schema):
    """Requests sent per operation. At the end, every operation that takes input had at least
    EXAMPLES (one without parameters or body has only a few distinct requests to make)."""
    counter = Counter()
    yield counter
    with_input = {
        operation.label
        for operation in (result.ok() for result in api_schema.get_all_operations())
        if operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody")
    }
    few = {label: n for label, n in counter.items() if label in with_input and n < EXAMPLES}
    assert not few, f"fewer than {EXAMPLES} examples: {few}"


def aim_half_at_an_existing_user(case):
    """Point a user path's id at a real account in about half the examples (chosen from the
    generated id, so a failure replays), so updates, deletes and verifications get past the 404."""
    if not case.operation.path.startswith(("/users/{id}", "/verify-email/")):
        return
    params = case.path_parameters or {}
    for name in ("id", "user_id"):
        if name in params and zlib.crc32(str(params[name]).encode()) % 2:
            params[name] = str(UserFactory().pk)


@contextmanager
def isolated():
    """Each example in its own savepoint, rolled back after it: examples never see each
    other's rows, and on PostgreSQL a failed statement (a 500) cannot leave the test's
    transaction aborted for every later operation."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


@schema.parametrize()
@SETTINGS
def test_with_an_admin_token(case, admin_user, calls):
    calls[case.operation.label] += 1
    with isolated():
        aim_half_at_an_existing_user(case)
        case.call_and_validate(headers={"Authorization": f"Bearer {access_token_for(admin_user)}"}, checks=CHECKS)


@schema.parametrize()
@SETTINGS
def test_with_no_token(case, calls):
    calls[case.operation.label] += 1
    with isolated():
        aim_half_at_an_existing_user(case)
        case.call_and_validate(checks=CHECKS)
