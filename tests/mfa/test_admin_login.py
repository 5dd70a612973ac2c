"""The admin's sign-in in two steps (issue 16, item 2): the password, then a code or a
recovery code; only a session that passed both is staff."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from users.forms import LOCKED, NOT_VERIFIED

from ..factories import PASSWORD, UserFactory
from .conftest import totp_code

pytestmark = pytest.mark.django_db

LOGIN, INDEX = reverse("admin:login"), reverse("admin:index")
VERIFY, SETUP = reverse("admin:two_step_verify"), reverse("admin:two_step_setup")
CHANGELIST = reverse("admin:users_user_changelist")


def password_step(client, user, password=PASSWORD, next_url=CHANGELIST):
    return client.post(LOGIN, {"username": user.email, "password": password, "next": next_url})


def test_the_password_alone_leads_to_the_second_step_not_the_admin(enrolled_admin):
    client = Client()
    response = password_step(client, enrolled_admin)

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert client.get(CHANGELIST).url.startswith(LOGIN)  # not staff yet
    assert client.get(LOGIN).url.startswith(VERIFY)  # the login page sends it on

    page = client.get(VERIFY)
    assert page.status_code == 200
    assert b"Authenticator app" in page.content and b"Recovery code" in page.content


def test_password_then_code_opens_the_admin_and_returns_to_the_page(enrolled_admin):
    client = Client()
    password_step(client, enrolled_admin)

    response = client.post(VERIFY, {"code": totp_code(enrolled_admin.device), "next": CHANGELIST})

    assert response.status_code == 302 and response.url == CHANGELIST
    assert client.get(CHANGELIST).status_code == 200
    enrolled_admin.refresh_from_db()
    assert enrolled_admin.failed_login_attempts == 0 and enrolled_admin.last_login_at is not None


def test_a_recovery_code_opens_the_admin_once(enrolled_admin):
    code = enrolled_admin.codes[0]
    first = Client()
    password_step(first, enrolled_admin)
    assert first.post(VERIFY, {"code": code.upper().replace("-", " ")}).url == INDEX
    assert first.get(CHANGELIST).status_code == 200

    second = Client()
    password_step(second, enrolled_admin)
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 400
    assert "not correct" in response.content.decode()
    assert second.get(CHANGELIST).status_code == 302


def test_a_used_code_is_refused_the_second_time(enrolled_admin):
    code = totp_code(enrolled_admin.device)
    first, second = Client(), Client()
    password_step(first, enrolled_admin)
    password_step(second, enrolled_admin)

    assert first.post(VERIFY, {"code": code}).status_code == 302
    replay = second.post(VERIFY, {"code": code})

    assert replay.status_code == 400
    assert second.get(CHANGELIST).status_code == 302


@pytest.mark.parametrize(("steps", "status"), [(-2, 400), (-1, 302), (1, 302), (2, 400)])
def test_one_step_of_clock_drift_is_accepted_two_are_not(admin_user, steps, status):
    # A device no code was used on yet (enrolment would have spent the steps up to now).
    device = TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    client = Client()
    password_step(client, admin_user)
    assert client.post(VERIFY, {"code": totp_code(device, steps)}).status_code == status


def test_wrong_codes_lock_the_account_as_wrong_passwords_do(enrolled_admin, settings):
    settings.MAX_LOGIN_ATTEMPTS = 3
    client = Client()
    password_step(client, enrolled_admin)  # attempt 1, still counted: no code yet
    assert client.post(VERIFY, {"code": "000000"}).status_code == 400  # 2
    assert client.post(VERIFY, {"code": "111111"}).status_code == 400  # 3: locks

    enrolled_admin.refresh_from_db()
    assert enrolled_admin.is_locked

    # The locked account is signed out and the login page says it is locked, whatever the password.
    assert client.get(CHANGELIST).status_code == 302
    response = password_step(Client(), enrolled_admin)
    assert response.status_code == 200
    assert LOCKED[:40] in response.content.decode().replace("&#x27;", "'")


def test_the_password_step_gives_no_attempts_back(enrolled_admin, settings):
    """Taking turns between the right password and wrong codes buys no extra guesses."""
    settings.MAX_LOGIN_ATTEMPTS = 3
    client = Client()
    password_step(client, enrolled_admin)  # 1
    client.post(VERIFY, {"code": "000000"})  # 2
    password_step(Client(), enrolled_admin)  # 3, right password
    client.post(VERIFY, {"code": "111111"})  # over budget: locks

    enrolled_admin.refresh_from_db()
    assert enrolled_admin.is_locked


def test_the_admin_login_still_says_locked_and_not_verified(db):
    locked = UserFactory(admin=True, locked=True)
    unverified = UserFactory(manager=True, email_verified=False)

    assert LOCKED[:40] in password_step(Client(), locked).content.decode().replace("&#x27;", "'")
    assert NOT_VERIFIED[:40] in password_step(Client(), unverified).content.decode().replace("&#x27;", "'")


def test_without_a_factor_and_not_required_the_password_is_enough(admin_user):
    client = Client()
    response = password_step(client, admin_user)
    assert response.url == CHANGELIST
    assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_staff_without_a_factor_are_taken_to_enrolment_first(db, required, role):
    staff = UserFactory(**{role: True})
    client = Client()
    response = password_step(client, staff)

    assert response.url.startswith(SETUP)
    assert client.get(CHANGELIST).status_code == 302
    assert client.get(LOGIN).url.startswith(SETUP)
    assert client.get(SETUP).status_code == 200


def test_wrong_codes_are_throttled_per_address(enrolled_admin, settings):
    settings.AUTH_THROTTLE_RATE = "3/min"
    settings.MAX_LOGIN_ATTEMPTS = 10
    client = Client()
    password_step(client, enrolled_admin)  # the password's post spends one of the three
    assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    assert client.post(VERIFY, {"code": "000001"}).status_code == 400
    refused = client.post(VERIFY, {"code": totp_code(enrolled_admin.device)})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()


def test_logging_out_everywhere_ends_the_admin_session(enrolled_admin):
    from users import services

    client = Client()
    password_step(client, enrolled_admin)
    client.post(VERIFY, {"code": totp_code(enrolled_admin.device)})
    assert client.get(CHANGELIST).status_code == 200

    services.session_logout_all(user=enrolled_admin)

    assert client.get(CHANGELIST).status_code == 302


@pytest.mark.parametrize("owing", ["code", "enrolment"])
def test_a_session_owing_a_step_may_log_out(enrolled_admin, manager_user, required, owing):
    user = enrolled_admin if owing == "code" else manager_user
    client = Client()
    password_step(client, user)
    assert client.post(reverse("admin:logout")).status_code == 200  # "Logged out"
    assert "_auth_user_id" not in client.session
    assert client.get(VERIFY).url.startswith(LOGIN)
