import re

import pytest
from django.core.exceptions import ValidationError

from tests.factories import PASSWORD, UserFactory
from users import managers
from users.models import EMAIL_EXISTS, Role, User

pytestmark = pytest.mark.django_db

GENERATED_NICKNAME = re.compile(r"^[a-z]+_[a-z]+_\d+$")


def test_create_user_makes_unverified_anonymous_member():
    user = User.objects.create_user("New.Member@Example.COM", PASSWORD)
    user.refresh_from_db()
    assert user.email == "New.Member@example.com"
    assert user.role == Role.ANONYMOUS
    assert user.email_verified is False
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)


def test_create_user_hashes_the_password():
    user = User.objects.create_user("new@example.com", PASSWORD)
    user.refresh_from_db()
    assert user.password != PASSWORD
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD.lower())


def test_create_user_without_password_is_unusable():
    user = User.objects.create_user("new@example.com")
    assert not user.has_usable_password()


def test_create_user_generates_nickname_when_absent():
    user = User.objects.create_user("new@example.com", PASSWORD)
    assert GENERATED_NICKNAME.fullmatch(user.nickname), user.nickname


def test_create_user_keeps_given_nickname_and_fields():
    user = User.objects.create_user(
        "new@example.com", PASSWORD, nickname="my-nick", first_name="Ada", role=Role.AUTHENTICATED
    )
    assert (user.nickname, user.first_name, user.role) == ("my-nick", "Ada", Role.AUTHENTICATED)


def test_create_user_runs_model_validation():
    with pytest.raises(ValidationError) as exc:
        User.objects.create_user("new@example.com", PASSWORD, nickname="no spaces allowed")
    assert "nickname" in exc.value.message_dict
    assert not User.objects.exists()


def test_create_user_refuses_email_taken_in_other_case():
    UserFactory(email="taken@example.com")
    with pytest.raises(ValidationError) as exc:
        User.objects.create_user("TAKEN@example.com", PASSWORD)
    assert exc.value.message_dict["email"] == [EMAIL_EXISTS]


@pytest.mark.parametrize("email", ["", None])
@pytest.mark.parametrize("method", ["create_user", "create_superuser"])
def test_missing_email_raises_value_error(method, email):
    with pytest.raises(ValueError, match="email"):
        getattr(User.objects, method)(email, PASSWORD)
    assert not User.objects.exists()


def test_create_superuser_makes_verified_admin():
    user = User.objects.create_superuser("boss@example.com", PASSWORD)
    user.refresh_from_db()
    assert user.role == Role.ADMIN
    assert user.email_verified is True
    assert (user.is_staff, user.is_superuser, user.is_active) == (True, True, True)
    assert user.check_password(PASSWORD)
    assert GENERATED_NICKNAME.fullmatch(user.nickname)


@pytest.mark.parametrize(
    "extra",
    [
        {"is_staff": False, "is_superuser": False},
        {"is_staff": True, "is_superuser": True},
        {"role": Role.ANONYMOUS, "email_verified": False},
    ],
)
def test_create_superuser_ignores_flags_that_contradict_admin(extra):
    user = User.objects.create_superuser("boss@example.com", PASSWORD, **extra)
    user.refresh_from_db()
    assert (user.role, user.email_verified, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True, True)


@pytest.mark.parametrize("lookup", ["john.doe@example.com", "JOHN.DOE@EXAMPLE.COM", "John.Doe@Example.Com"])
def test_get_by_natural_key_is_case_insensitive(lookup):
    user = UserFactory(email="John.Doe@example.com")
    assert User.objects.get_by_natural_key(lookup) == user


def test_get_by_natural_key_unknown_raises_does_not_exist():
    UserFactory(email="john@example.com")
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("jane@example.com")


@pytest.mark.parametrize("lookup", ["someone@example.com", "SOMEONE@example.com", "someone@EXAMPLE.com"])
def test_by_email_matches_case_insensitively_and_exactly(lookup):
    user = UserFactory(email="Someone@Example.com")
    UserFactory(email="someone.else@example.com")
    UserFactory(email="xsomeone@example.com")
    assert list(User.objects.by_email(lookup)) == [user]


@pytest.mark.parametrize("lookup", ["", None, "nobody@example.com", "someone@"])
def test_by_email_without_match_is_empty(lookup):
    UserFactory(email="someone@example.com")
    assert not User.objects.by_email(lookup).exists()


def test_by_email_chains_on_querysets():
    user = UserFactory(email="someone@example.com", role=Role.MANAGER)
    assert list(User.objects.filter(role=Role.MANAGER).by_email("SOMEONE@example.com")) == [user]
    assert not User.objects.filter(role=Role.ADMIN).by_email("SOMEONE@example.com").exists()


def _generator_returning(monkeypatch, *values):
    """Make `generate_nickname` return `values` in turn; return the list of values handed out."""
    given = []
    pending = iter(values)

    def fake():
        given.append(next(pending))
        return given[-1]

    monkeypatch.setattr(managers, "generate_nickname", fake)
    return given


def test_unique_nickname_skips_taken_nicknames(monkeypatch):
    UserFactory(nickname="taken_fox_1")
    UserFactory(nickname="taken_fox_2")
    given = _generator_returning(monkeypatch, "taken_fox_1", "taken_fox_2", "free_fox_3")
    assert User.objects.unique_nickname() == "free_fox_3"
    assert given == ["taken_fox_1", "taken_fox_2", "free_fox_3"]


def test_create_user_uses_a_free_generated_nickname(monkeypatch):
    UserFactory(nickname="taken_fox_1")
    _generator_returning(monkeypatch, "taken_fox_1", "free_fox_2")
    assert User.objects.create_user("new@example.com", PASSWORD).nickname == "free_fox_2"


def test_unique_nickname_gives_up_after_nickname_attempts(monkeypatch):
    UserFactory(nickname="taken_fox_1")
    given = _generator_returning(monkeypatch, *["taken_fox_1"] * (managers.NICKNAME_ATTEMPTS + 1))
    with pytest.raises(RuntimeError, match="unique nickname"):
        User.objects.unique_nickname()
    assert len(given) == managers.NICKNAME_ATTEMPTS


def test_unique_nickname_succeeds_on_the_last_attempt(monkeypatch):
    UserFactory(nickname="taken_fox_1")
    values = ["taken_fox_1"] * (managers.NICKNAME_ATTEMPTS - 1) + ["free_fox_2"]
    _generator_returning(monkeypatch, *values)
    assert User.objects.unique_nickname() == "free_fox_2"


def test_generated_nicknames_are_valid_and_varied():
    nicknames = {User.objects.unique_nickname() for _ in range(50)}
    assert all(GENERATED_NICKNAME.fullmatch(n) and 3 <= len(n) <= 50 for n in nicknames)
    assert len(nicknames) > 40
