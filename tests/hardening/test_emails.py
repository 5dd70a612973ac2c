"""One mailbox, one account: emails are stored and compared in one normal form."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import PASSWORD, UserFactory
from users.models import User
from users.services import InvalidCredentials, user_login
from users.validators import EMAIL_INVISIBLE, EMAIL_MIXED_SCRIPT, normalize_email

pytestmark = pytest.mark.django_db

INVISIBLE = [
    "a@exam\u200bple.com",
    "a@exam\u00adple.com",
    "a\u200d@example.com",
    "a@example.com\ufeff",
    "a@ex\u2060ample.com",
]
MIXED_SCRIPT = ["a@ex\u0430mple.com", "a@p\u0430ypal.com", "a@g\u043eogle.com", "a@\u03b1bc.com"]


def register(client, email):
    return client.post("/register/", {"email": email, "password": PASSWORD}, format="json")


@pytest.mark.parametrize("email", INVISIBLE)
def test_register_refuses_invisible_characters_naming_the_email(api_client, email):
    response = register(api_client, email)

    assert response.status_code == 400, response.content
    assert response.json()["email"] == [EMAIL_INVISIBLE]
    assert not User.objects.exists()


@pytest.mark.parametrize("email", MIXED_SCRIPT)
def test_register_refuses_a_domain_label_mixing_scripts(api_client, email):
    response = register(api_client, email)

    assert response.status_code == 400, response.content
    assert response.json()["email"] == [EMAIL_MIXED_SCRIPT]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("email", "stored"),
    [
        ("Jane@EXAMPLE.com", "Jane@example.com"),
        ("jane@b\u00fccher.de", "jane@xn--bcher-kva.de"),
        ("jane@B\u00dcCHER.de", "jane@xn--bcher-kva.de"),
        ("jane@\uff45xample.com", "jane@example.com"),  # fullwidth e (NFKC)
        ("jane@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "jane@xn--e1afmkfd.xn--p1ai"),  # all Cyrillic
        ("jane@\u4f8b\u3048.jp", "jane@xn--r8jz45g.jp"),  # Han + Hiragana
    ],
)
def test_register_stores_the_normal_form(api_client, email, stored):
    response = register(api_client, email)

    assert response.status_code == 201, response.content
    assert response.json()["email"] == stored
    assert User.objects.get().email == stored


@pytest.mark.parametrize(
    ("existing", "attempt"),
    [
        ("a@xn--bcher-kva.de", "a@b\u00fccher.de"),
        ("a@xn--bcher-kva.de", "A@B\u00dcCHER.DE"),
        ("a@example.com", "a@\uff45xample.com"),
        ("a@example.com", "A@Example.COM"),
    ],
)
def test_one_mailbox_is_one_account(api_client, existing, attempt):
    UserFactory(email=existing)

    response = register(api_client, attempt)

    assert response.status_code == 400, response.content
    assert "Email already exists" in response.json()["detail"]
    assert User.objects.count() == 1


def test_login_finds_the_account_by_any_spelling_of_its_mailbox(api_client):
    UserFactory(email="a@xn--bcher-kva.de")

    for spelling in ("a@b\u00fccher.de", "A@XN--BCHER-KVA.DE", "a@bu\u0308cher.de"):
        response = api_client.post("/login/", {"username": spelling, "password": PASSWORD})
        assert response.status_code == 200, (spelling, response.content)


UNUSABLE_USERNAMES = ["a@exam\u200bple.com", "a@ex\u0430mple.com", "\x00", "@", "a" * 10_000]


@pytest.mark.parametrize("username", UNUSABLE_USERNAMES, ids=range(len(UNUSABLE_USERNAMES)))
def test_login_with_an_address_that_cannot_be_normalised_is_the_ordinary_401(api_client, username):
    UserFactory(email="a@example.com")

    response = api_client.post("/login/", {"username": username, "password": PASSWORD})

    assert response.status_code in (400, 401), response.content
    if response.status_code == 401:
        assert response.json()["detail"] == "Incorrect email or password."
    with pytest.raises(InvalidCredentials):
        user_login(email=username, password=PASSWORD)


def test_update_to_a_lookalike_of_another_account_is_refused(admin_client_api):
    UserFactory(email="boss@example.com")
    target = UserFactory(email="other@example.com")

    for email, status in [("boss@exam\u200bple.com", 400), ("boss@\uff45xample.com", 400), ("BOSS@example.com", 400)]:
        response = admin_client_api.patch(f"/users/{target.pk}", {"email": email}, format="json")
        assert response.status_code == status, (email, response.content)
        assert "email" in response.json()
    target.refresh_from_db()
    assert target.email == "other@example.com"


def test_admin_form_refuses_invisible_characters(admin_site_client):
    response = admin_site_client.post(
        "/admin/users/user/add/",
        {"email": "new@exam\u200bple.com", "password1": PASSWORD, "password2": PASSWORD, "role": "AUTHENTICATED"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert not User.objects.filter(email__startswith="new@").exists()


def test_createsuperuser_stores_the_normal_form(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", "--email", "Boss@B\u00fccher.de", stdout=None)

    assert User.objects.get().email == "Boss@xn--bcher-kva.de"


def test_manager_normalize_email_is_the_same_function():
    assert User.objects.normalize_email("a@B\u00fccher.DE") == normalize_email("a@b\u00fccher.de")
    with pytest.raises(ValidationError):
        User.objects.normalize_email("a@exam\u200bple.com")
