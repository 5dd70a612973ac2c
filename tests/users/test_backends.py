import pytest
from django.contrib.auth import authenticate

from tests.factories import PASSWORD, UserFactory
from users.backends import MANAGER_PERMISSIONS, AccountBackend
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend():
    return AccountBackend()


@pytest.mark.parametrize("email", ["member@example.com", "MEMBER@EXAMPLE.COM"])
def test_authenticate_returns_user_for_good_credentials(backend, email):
    user = UserFactory(email="member@example.com", failed_login_attempts=2)
    assert backend.authenticate(None, username=email, password=PASSWORD) == user
    user.refresh_from_db()
    assert user.failed_login_attempts == 0
    assert user.last_login_at is not None


def test_authenticate_accepts_email_keyword(backend):
    user = UserFactory()
    assert backend.authenticate(None, email=user.email, password=PASSWORD) == user


def test_django_authenticate_goes_through_the_backend():
    user = UserFactory()
    authenticated = authenticate(None, username=user.email, password=PASSWORD)
    assert authenticated == user
    assert authenticated.backend == "users.backends.AccountBackend"


def test_authenticate_wrong_password_returns_none_and_counts(backend):
    user = UserFactory()
    assert backend.authenticate(None, username=user.email, password="Wrong*Pass1") is None
    user.refresh_from_db()
    assert user.failed_login_attempts == 1


@pytest.mark.parametrize(
    "traits",
    [{"unverified": True}, {"locked": True}],
    ids=["unverified", "locked"],
)
def test_authenticate_refuses_unverified_and_locked_users(backend, traits):
    user = UserFactory(**traits)
    assert backend.authenticate(None, username=user.email, password=PASSWORD) is None


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "nobody@example.com", "password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": None, "password": PASSWORD},
        {"username": "member@example.com", "password": None},
        {"username": "member@example.com"},
        {"password": PASSWORD},
    ],
)
def test_authenticate_returns_none_for_missing_or_unknown(backend, credentials):
    UserFactory(email="member@example.com")
    assert backend.authenticate(None, **credentials) is None


@pytest.mark.parametrize("perm", sorted(MANAGER_PERMISSIONS))
def test_manager_has_user_management_permissions(perm):
    manager = UserFactory(manager=True)
    assert manager.has_perm(perm)


def test_manager_permissions_cover_user_crud():
    manager = UserFactory(manager=True)
    assert manager.has_perms(["users.view_user", "users.add_user", "users.change_user", "users.delete_user"])
    assert manager.has_module_perms("users")
    assert manager.has_module_perms("notifications")


@pytest.mark.parametrize("perm", ["auth.change_group", "auth.add_permission", "notifications.delete_outgoingemail"])
def test_manager_lacks_other_permissions(perm):
    assert not UserFactory(manager=True).has_perm(perm)


@pytest.mark.parametrize("role", [Role.ANONYMOUS, Role.AUTHENTICATED])
def test_members_have_no_permissions(role):
    user = UserFactory(role=role)
    assert not user.has_perm("users.view_user")
    assert not user.has_perm("users.change_user")
    assert not user.has_module_perms("users")
    assert user.get_all_permissions() == set()


def test_locked_manager_has_no_permissions():
    manager = UserFactory(manager=True, locked=True)
    assert not manager.has_perm("users.view_user")
    assert not manager.has_module_perms("users")
    assert manager.get_all_permissions() == set()


@pytest.mark.parametrize("perm", ["users.delete_user", "auth.change_group", "notifications.delete_outgoingemail"])
def test_admin_has_every_permission(perm):
    assert UserFactory(admin=True).has_perm(perm)


def test_locked_admin_has_no_permissions():
    assert not UserFactory(admin=True, locked=True).has_perm("users.view_user")
