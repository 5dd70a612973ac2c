import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import UserFactory
from users.models import EMAIL_EXISTS, Role, User

pytestmark = pytest.mark.django_db


def clean_errors(user):
    """The `message_dict` of `user.full_clean()`, or {} when it passes."""
    try:
        user.full_clean()
    except ValidationError as exc:
        return exc.message_dict
    return {}


def assert_field_valid(field, value):
    errors = clean_errors(UserFactory.build(**{field: value}))
    assert field not in errors, errors


def assert_field_invalid(field, value):
    errors = clean_errors(UserFactory.build(**{field: value}))
    assert field in errors, f"{field}={value!r} was accepted"


def test_factory_user_is_valid():
    assert clean_errors(UserFactory.build()) == {}


# --- email --------------------------------------------------------------------


@pytest.mark.parametrize("email", ["john.doe@example.com", "a+tag@sub.example.org", "O'Brien@example.ie"])
def test_email_valid(email):
    assert_field_valid("email", email)


@pytest.mark.parametrize("email", ["", "not-an-email", "john@", "@example.com", "john doe@example.com", "a@b@c.com"])
def test_email_invalid(email):
    assert_field_invalid("email", email)


def test_email_domain_is_normalised_by_clean():
    user = UserFactory.build(email="John.Doe@EXAMPLE.COM")
    user.full_clean()
    assert user.email == "John.Doe@example.com"


@pytest.mark.parametrize("other", ["taken@example.com", "TAKEN@example.com", "Taken@Example.COM"])
def test_email_unique_case_insensitively_in_full_clean(other):
    UserFactory(email="taken@example.com")
    errors = clean_errors(UserFactory.build(email=other))
    assert errors["email"] == [EMAIL_EXISTS]


def test_full_clean_of_existing_user_does_not_clash_with_itself():
    user = UserFactory(email="Self@example.com")
    assert clean_errors(user) == {}


@pytest.mark.parametrize("other", ["taken@example.com", "TAKEN@EXAMPLE.COM", "Taken@example.com"])
def test_email_unique_case_insensitively_in_database_on_save(other):
    UserFactory(email="taken@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory.build(email=other).save()
    assert User.objects.count() == 1


def test_email_unique_case_insensitively_in_database_on_bulk_create():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create(
            [UserFactory.build(email="dup@example.com"), UserFactory.build(email="DUP@example.com")]
        )
    assert User.objects.count() == 0


# --- nickname -----------------------------------------------------------------


@pytest.mark.parametrize("nickname", ["abc", "a" * 50, "John_Doe-99", "___", "---", "123", "clever_fox_123"])
def test_nickname_valid(nickname):
    assert_field_valid("nickname", nickname)


@pytest.mark.parametrize(
    "nickname",
    [
        "",
        "ab",
        "a" * 51,
        "john doe",
        " abc",
        "abc\n",
        "john.doe",
        "john@doe",
        "jöhn",
        "δοκιμή",
        "名前です",
        "abc!",
        "abc/def",
    ],
)
def test_nickname_invalid(nickname):
    assert_field_invalid("nickname", nickname)


def test_nickname_unique_in_full_clean():
    UserFactory(nickname="taken_name")
    errors = clean_errors(UserFactory.build(nickname="taken_name"))
    assert list(errors) == ["nickname"]


def test_nickname_unique_in_database():
    UserFactory(nickname="taken_name")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory.build(nickname="taken_name").save()


# --- names and bio --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"), [("first_name", 100), ("last_name", 100), ("bio", 500)], ids=["first", "last", "bio"]
)
def test_text_field_accepts_up_to_its_limit(field, limit):
    assert_field_valid(field, "x" * limit)


@pytest.mark.parametrize(
    ("field", "limit"), [("first_name", 100), ("last_name", 100), ("bio", 500)], ids=["first", "last", "bio"]
)
def test_text_field_refuses_past_its_limit(field, limit):
    assert_field_invalid(field, "x" * (limit + 1))


@pytest.mark.parametrize("field", ["first_name", "last_name", "bio"])
def test_text_fields_are_optional(field):
    assert_field_valid(field, "")


# --- URLs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.com/p/john.jpg",
        "http://example.com/john.jpeg",
        "https://cdn.example.com/a/b/c.png",
        "https://example.com/anim.gif",
        "https://example.com/pic.webp",
        "https://example.com/PIC.JPG",
        "https://example.com/pic.WebP",
        "https://example.com/pic.png?size=200&v=2",
        "https://example.com/pic.jpg#frag",
    ],
)
def test_profile_picture_url_valid(url):
    assert_field_valid("profile_picture_url", url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/pic.jpg",
        "javascript:alert(1)//x.jpg",
        "file:///etc/pic.png",
        "example.com/pic.jpg",
        "https://example.com/pic.pdf",
        "https://example.com/pic.jpg.exe",
        "https://example.com/jpg",
        "https://example.com/",
        "https://example.com/download?file=pic.jpg",
        "not a url.png",
    ],
)
def test_profile_picture_url_invalid(url):
    assert_field_invalid("profile_picture_url", url)


@pytest.mark.parametrize("field", ["linkedin_profile_url", "github_profile_url"])
@pytest.mark.parametrize(
    "url", ["", "https://linkedin.com/in/johndoe", "http://github.com/johndoe", "https://github.com/john-doe?tab=repos"]
)
def test_social_url_valid(field, url):
    assert_field_valid(field, url)


@pytest.mark.parametrize("field", ["linkedin_profile_url", "github_profile_url"])
@pytest.mark.parametrize(
    "url",
    [
        "ftp://github.com/johndoe",
        "javascript:alert(1)",
        "javascript://github.com/%0Aalert(1)",
        "data:text/html,hi",
        "mailto:john@example.com",
        "github.com/johndoe",
        "not a url",
    ],
)
def test_social_url_invalid(field, url):
    assert_field_invalid(field, url)


# --- role -----------------------------------------------------------------------


def test_role_defaults_to_anonymous():
    assert User().role == Role.ANONYMOUS


def test_invalid_role_refused_by_full_clean():
    assert_field_invalid("role", "SUPERHERO")


@pytest.mark.parametrize("role", ["SUPERHERO", "admin", ""])
def test_invalid_role_refused_by_database(role):
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(role=role)
    user.refresh_from_db()
    assert user.role == Role.AUTHENTICATED


# --- derived flags ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "is_staff", "is_superuser"),
    [
        (Role.ANONYMOUS, False, False),
        (Role.AUTHENTICATED, False, False),
        (Role.MANAGER, True, False),
        (Role.ADMIN, True, True),
    ],
)
def test_staff_and_superuser_derive_from_role(role, is_staff, is_superuser):
    user = UserFactory.build(role=role)
    assert (user.is_staff, user.is_superuser) == (is_staff, is_superuser)
    assert user.is_admin is (role == Role.ADMIN)
    assert user.is_manager is (role == Role.MANAGER)


@pytest.mark.parametrize("is_locked", [False, True])
def test_is_active_is_not_locked(is_locked):
    user = UserFactory(is_locked=is_locked)
    user.refresh_from_db()
    assert user.is_active is (not is_locked)


def test_str_is_email():
    assert str(UserFactory.build(email="john.doe@example.com")) == "john.doe@example.com"


def test_new_user_gets_uuid_and_timestamps():
    user = UserFactory()
    assert user.id.version == 4
    assert user.created_at is not None
    assert user.updated_at >= user.created_at
