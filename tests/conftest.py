import pytest
from asgiref import sync
from django.core.cache import cache

from core import concurrency
from users.authentication import access_token_for
from users.models import Role

from .factories import PASSWORD, UserFactory
from .servers import SERVERS, CallerThreadExecutor


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` need what only PostgreSQL has (row locks, concurrent
    writers); tests marked `sqlite` work on the suite's SQLite file itself. On the other
    database they are deselected, and said so, rather than skipped (CI runs both)."""
    from django.db import connection

    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    elsewhere = [item for item in items if item.get_closest_marker(other)]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if not item.get_closest_marker(other)]
        config._other_database_only = (other, len(elsewhere))


def pytest_terminal_summary(terminalreporter, config):
    other, count = getattr(config, "_other_database_only", (None, 0))
    if count:
        name = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[other]
        terminalreporter.write_line(
            f"{count} {name}-only tests deselected on {_vendor()}: CI runs them in its {name} pass"
        )


def _vendor():
    from django.db import connection

    return connection.vendor


@pytest.fixture(autouse=True)
def _forget_content_types_after_a_flush(request):
    """A transactional test ends with a flush that re-creates content types under new
    ids; the manager's per-process cache would then hand stale ids to audit rows."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if transactional or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def verified_user(db):
    return UserFactory(role=Role.AUTHENTICATED, email_verified=True)


@pytest.fixture
def unverified_user(db):
    return UserFactory(unverified=True)


@pytest.fixture
def locked_user(db):
    return UserFactory(locked=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(admin=True, email="admin.user@example.com", nickname="admin_user")


@pytest.fixture
def manager_user(db):
    return UserFactory(manager=True, email="manager.user@example.com", nickname="manager_user")


@pytest.fixture
def users_with_same_role_50_users(db):
    return UserFactory.create_batch(50, role=Role.AUTHENTICATED)


def _token(user):
    return str(access_token_for(user))


@pytest.fixture
def user_token(verified_user):
    return _token(verified_user)


@pytest.fixture
def admin_token(admin_user):
    return _token(admin_user)


@pytest.fixture
def manager_token(manager_user):
    return _token(manager_user)


@pytest.fixture(autouse=True, scope="session")
def _offload_on_the_test_thread():
    """Under the in-process ASGI client, blocking work runs on the test's thread
    (its database connection holds the test's transaction); see tests/servers.py."""
    saved, concurrency.blocking_executor = concurrency.blocking_executor, CallerThreadExecutor()
    yield
    concurrency.blocking_executor = saved


@pytest.fixture(params=sorted(SERVERS))
def server(request):
    """Every API test runs twice: as served under WSGI and as served under ASGI."""
    return request.param


@pytest.fixture
def api_client(server):
    return SERVERS[server]()


def _client_for(server, token):
    client = SERVERS[server]()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def admin_client_api(server, admin_token):
    return _client_for(server, admin_token)


@pytest.fixture
def manager_client_api(server, manager_token):
    return _client_for(server, manager_token)


@pytest.fixture
def user_client_api(server, user_token):
    return _client_for(server, user_token)


@pytest.fixture
def client_for(server):
    """`client_for(user)`: an API client sending a real bearer token for `user`."""
    return lambda user: _client_for(server, _token(user))


def _site_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_site_client(admin_user):
    """A Django test client logged into /admin/ as an ADMIN (a superuser)."""
    return _site_client(admin_user)


@pytest.fixture
def manager_site_client(manager_user):
    """A Django test client logged into /admin/ as a MANAGER (staff with user permissions)."""
    return _site_client(manager_user)


@pytest.fixture
def hops(monkeypatch):
    """Counts hand-offs from the event loop to a thread (asgiref's SyncToAsync calls)."""
    counted = []
    original = sync.SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        counted.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counting)
    return counted
