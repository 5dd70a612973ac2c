"""Server-side binding on PostgreSQL (DATABASE_SERVER_SIDE_BINDING, docs/benchmarks.md): with it
on, a statement a connection runs more than its prepare threshold is prepared on that connection
(PostgreSQL's pg_prepared_statements lists it) and answers as before; with it off, or with the
threshold `none` (a pgbouncer before 1.21), nothing is prepared."""

import pytest
from django.db import connection
from django.db.utils import load_backend

from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.models import Role

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

# Rows committed before the test (the other connection cannot see the test's own).
STATEMENT = "SELECT name FROM django_migrations WHERE app = %s ORDER BY id LIMIT 1"


@pytest.fixture
def connect():
    """`connect(**options)`: a second connection to the test database with these OPTIONS."""
    opened = []

    def make(**options):
        settings_dict = {**connection.settings_dict, "OPTIONS": {**connection.settings_dict["OPTIONS"]}}
        for key in ("pool", "server_side_binding", "prepare_threshold"):
            settings_dict["OPTIONS"].pop(key, None)
        settings_dict["OPTIONS"].update(options)
        wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="binding")
        opened.append(wrapper)
        return wrapper

    yield make
    for wrapper in opened:
        wrapper.close()


def _run(wrapper, apps: list[str]) -> list:
    answers = []
    with wrapper.cursor() as cursor:
        for app in apps:
            cursor.execute(STATEMENT, [app])
            answers.append(cursor.fetchone()[0])
    return answers


def _prepared(wrapper) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize(
    ("options", "prepared"),
    [
        ({"server_side_binding": True, "prepare_threshold": 5}, True),
        ({"server_side_binding": True, "prepare_threshold": None}, False),
        ({}, False),  # Django's default: parameters inlined client-side, nothing prepared
    ],
    ids=["on", "on-never-prepare", "off"],
)
def test_a_repeated_statement_is_prepared_only_with_server_side_binding(connect, options, prepared):
    wrapper = connect(**options)
    answers = _run(wrapper, ["users", "events"] * 4)  # the last runs are the prepared ones when on

    assert answers == ["0001_initial", "0001_initial"] * 4
    assert wrapper.connection.prepare_threshold == options.get("prepare_threshold")
    statements = _prepared(wrapper)
    assert (STATEMENT.replace("%s", "$1") in statements) is prepared
    if not prepared:
        assert statements == []


def test_the_member_list_is_planned_each_time_and_the_rest_is_prepared(client_for):
    """Through the API (WSGI and ASGI): the member's event list, whose plan depends on the
    present moment (the events running now: `_planned_each_time` in events/selectors.py), is
    never prepared and gives the same page every time; the requests' other statements are
    prepared after a few when the settings turn binding on (the default), so the connection's
    threshold is back after each list."""
    member = UserFactory(role=Role.AUTHENTICATED)
    EventFactory.create_batch(3)
    client = client_for(member)

    pages = []
    for _ in range(7):
        response = client.get("/events/?limit=20")
        assert response.status_code == 200, response.content
        pages.append((response.json()["total"], [item["id"] for item in response.json()["items"]]))

    assert pages == [pages[0]] * 7
    assert pages[0][0] == 3
    options = connection.settings_dict["OPTIONS"]
    binding = options.get("server_side_binding") is True and options.get("prepare_threshold") is not None
    statements = _prepared(connection)
    assert not any(statement.lstrip().startswith("WITH page") for statement in statements)
    assert bool(statements) is binding
    assert connection.connection.prepare_threshold == options.get("prepare_threshold")
