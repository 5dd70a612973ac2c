"""A member or staff account with a second factor logs in to the member pages with its code,
as through the API: the password alone opens nothing, a wrong or replayed code counts."""

from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.mfa.conftest import enrol, totp_code

LOGIN = reverse("portal:login")


def test_the_password_alone_opens_no_session_for_an_account_with_a_factor(client, db):
    user = UserFactory()
    enrol(user)
    response = client.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert "Enter the one-time code" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()  # the code field, tied to its error
    assert client.get(reverse("portal:account")).status_code == 302  # still a visitor


def test_the_right_code_logs_in_and_a_replayed_one_is_refused(client, db):
    user = UserFactory()
    device, _ = enrol(user)
    code = totp_code(device)
    ok = client.post(LOGIN, {"email": user.email, "password": PASSWORD, "otp": code, "next": "/app/account/"})
    assert ok.status_code == 302 and ok.url == "/app/account/"
    client.post(reverse("portal:logout"))
    again = client.post(LOGIN, {"email": user.email, "password": PASSWORD, "otp": code})
    assert again.status_code == 401
    assert "not correct, or was already used" in again.content.decode()


def test_wrong_codes_lock_the_account_as_wrong_passwords_do(client, db, settings):
    user = UserFactory()
    enrol(user)
    for _ in range(settings.MAX_LOGIN_ATTEMPTS):
        client.post(LOGIN, {"email": user.email, "password": PASSWORD, "otp": "000000"})
    user.refresh_from_db()
    assert user.is_locked


def test_a_recovery_code_logs_in_once(client, db):
    user = UserFactory()
    _, codes = enrol(user)
    assert client.post(LOGIN, {"email": user.email, "password": PASSWORD, "otp": codes[0]}).status_code == 302
    client.post(reverse("portal:logout"))
    assert client.post(LOGIN, {"email": user.email, "password": PASSWORD, "otp": codes[0]}).status_code == 401
