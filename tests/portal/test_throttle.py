"""The member pages' and the admin's sign-in forms spend the client address's
AUTH_THROTTLE_RATE budget, the one POST /login, /register/ and the rest spend: once it is
spent a form answers 429 with Retry-After and is not processed."""

import pytest

from tests.factories import PASSWORD, UserFactory
from users.models import User
from users.tokens import email_verification_token

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture(autouse=True)
def budget(settings):
    settings.AUTH_THROTTLE_RATE = "3/min"
    settings.ACCOUNT_LOOKUP_MIN_SECONDS = 0


def refused(response):
    assert response.status_code == 429, response.status_code
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many attempts from your address" in response.content
    return True


def spend(client, path, data, times=3):
    for _ in range(times):
        assert client.post(path, data).status_code != 429


@pytest.mark.parametrize(
    "path, data",
    [
        ("/app/login/", {"email": "nobody@example.com", "password": "Wrong!pass1"}),
        ("/app/verify-email/resend/", {"email": "nobody@example.com"}),
        ("/app/password/forgot/", {"email": "nobody@example.com"}),
    ],
)
def test_each_sign_in_form_refuses_the_post_past_the_budget(client, path, data):
    spend(client, path, data)
    assert refused(client.post(path, data))
    assert client.get(path).status_code == 200  # reading the form costs nothing


def test_a_refused_sign_up_creates_no_account(client):
    for n in range(3):
        client.post("/app/signup/", {"email": f"new{n}@example.com", "password": PASSWORD})
    assert refused(client.post("/app/signup/", {"email": "late@example.com", "password": PASSWORD}))
    assert not User.objects.filter(email="late@example.com").exists()
    assert User.objects.filter(email__startswith="new").count() == 3


def test_a_refused_log_in_does_not_check_the_password_even_a_right_one(client):
    user = UserFactory()
    spend(client, "/app/login/", {"email": user.email, "password": "Wrong!pass1"}, times=2)
    user.refresh_from_db()
    assert user.failed_login_attempts == 2
    client.post("/app/login/", {"email": "other@example.com", "password": "Wrong!pass1"})
    assert refused(client.post("/app/login/", {"email": user.email, "password": PASSWORD}))
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.failed_login_attempts == 2  # not counted either: the form was not processed


def test_the_pages_and_the_api_share_one_budget(client, api_client):
    for _ in range(2):
        api_client.post("/login/", {"username": "nobody@example.com", "password": "Wrong!pass1"})
    client.post("/app/login/", {"email": "nobody@example.com", "password": "Wrong!pass1"})
    assert refused(client.post("/app/password/forgot/", {"email": "nobody@example.com"}))
    assert api_client.post("/login/", {"username": "nobody@example.com", "password": "x"}).status_code == 429


def test_the_verification_link_in_a_browser_is_throttled_as_the_api_link_is(client):
    user = UserFactory(unverified=True)
    for _ in range(3):
        assert client.get(f"/verify-email/{user.pk}/not-a-token", **HTML).status_code == 400
    good = email_verification_token.make_token(user)
    assert refused(client.get(f"/verify-email/{user.pk}/{good}", **HTML))
    user.refresh_from_db()
    assert not user.email_verified


def test_the_reset_link_refuses_the_new_password_past_the_budget(client):
    spend(client, "/app/password/forgot/", {"email": "nobody@example.com"})
    response = client.post("/reset/MQ/set-password/", {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert refused(response)


def test_the_one_click_unsubscribe_post_is_throttled(client):
    spend(client, "/app/password/forgot/", {"email": "nobody@example.com"})
    assert refused(client.post("/app/unsubscribe/forged-token/", {"List-Unsubscribe": "One-Click"}))


def test_the_admin_password_step_is_throttled(client, admin_user):
    for _ in range(3):
        response = client.post("/admin/login/", {"username": admin_user.email, "password": "Wrong!pass1"})
        assert response.status_code == 200
    response = client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many attempts from your address" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/login/").status_code == 200
