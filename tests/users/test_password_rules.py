"""Password handling that docs/security.md cites for OWASP ASVS 5.0 V6.2: long passwords
are accepted, a password is checked exactly as typed, the admin's field is masked."""

import pytest

from tests.factories import UserFactory
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", ["Aa1*" + "long-pass-phrase " * 7, "  Spaced*Out1  "])
def test_a_password_is_accepted_and_checked_exactly_as_typed(api_client, password):
    user = UserFactory(role="AUTHENTICATED", email_verified=True)
    user.set_password(password)
    user.save()

    def log_in(candidate):
        return api_client.post("/login/", {"username": user.email, "password": candidate}).status_code

    assert len(password) >= 15
    assert log_in(password) == 200
    assert log_in(password.strip()) == 401  # not trimmed
    assert log_in(password.upper()) == 401  # not case-folded
    assert log_in(password[:-1]) == 401  # not truncated


def test_registration_accepts_a_password_of_64_characters_and_more(api_client):
    password = "Aa1*" + "correct horse battery staple " * 3
    assert len(password) >= 64
    body = {"email": "long.password@example.com", "password": password}
    assert api_client.post("/register/", body, format="json").status_code == 201
    assert User.objects.get(email="long.password@example.com").check_password(password)


def test_the_admin_login_masks_the_password_and_lets_password_managers_fill_it(client):
    page = client.get("/admin/login/").content.decode()
    assert 'type="password"' in page
    assert 'autocomplete="current-password"' in page
    assert "onpaste" not in page
