import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from users.authentication import access_token_for
from users.models import Role

from .factories import PASSWORD, UserFactory


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


@pytest.fixture
def api_client():
    return APIClient()


def _client_for(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def admin_client_api(admin_token):
    return _client_for(admin_token)


@pytest.fixture
def manager_client_api(manager_token):
    return _client_for(manager_token)


@pytest.fixture
def user_client_api(user_token):
    return _client_for(user_token)


@pytest.fixture
def client_for():
    """`client_for(user)`: an APIClient sending a real bearer token for `user`."""
    return lambda user: _client_for(_token(user))


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
