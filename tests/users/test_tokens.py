from datetime import datetime, timedelta

import pytest
from django.utils.http import base36_to_int, int_to_base36

from tests.factories import UserFactory
from users.tokens import email_verification_token

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 6, 1, 12, 0, 0)


@pytest.fixture
def user():
    return UserFactory(unverified=True, email="new@example.com")


@pytest.fixture
def clock(monkeypatch):
    """Set the token generator's idea of "now" (naive, like Django's)."""

    def set_now(moment):
        monkeypatch.setattr(email_verification_token, "_now", lambda: moment)

    set_now(NOW)
    return set_now


def test_token_is_valid_for_its_user(user):
    token = email_verification_token.make_token(user)
    assert email_verification_token.check_token(user, token)


def test_token_is_valid_for_the_user_loaded_again(user):
    token = email_verification_token.make_token(user)
    user.refresh_from_db()
    assert email_verification_token.check_token(user, token)


def test_token_is_invalid_once_email_verified(user):
    token = email_verification_token.make_token(user)
    user.email_verified = True
    user.save()
    user.refresh_from_db()
    assert not email_verification_token.check_token(user, token)


def test_token_is_invalid_after_email_change(user):
    token = email_verification_token.make_token(user)
    user.email = "changed@example.com"
    user.save()
    assert not email_verification_token.check_token(user, token)


def test_token_is_invalid_for_another_user(user):
    other = UserFactory(unverified=True)
    token = email_verification_token.make_token(user)
    assert not email_verification_token.check_token(other, token)


def test_token_is_invalid_for_no_user(user):
    assert not email_verification_token.check_token(None, email_verification_token.make_token(user))


def test_token_is_valid_until_timeout(user, clock, settings):
    settings.EMAIL_VERIFICATION_TIMEOUT = 3600
    token = email_verification_token.make_token(user)
    clock(NOW + timedelta(seconds=3600))
    assert email_verification_token.check_token(user, token)


def test_token_is_invalid_after_timeout(user, clock, settings):
    settings.EMAIL_VERIFICATION_TIMEOUT = 3600
    token = email_verification_token.make_token(user)
    clock(NOW + timedelta(seconds=3601))
    assert not email_verification_token.check_token(user, token)


def test_default_timeout_is_three_days(user, clock, settings):
    assert settings.EMAIL_VERIFICATION_TIMEOUT == 3 * 24 * 3600
    token = email_verification_token.make_token(user)
    clock(NOW + timedelta(days=3, seconds=-1))
    assert email_verification_token.check_token(user, token)
    clock(NOW + timedelta(days=3, seconds=1))
    assert not email_verification_token.check_token(user, token)


def test_timeout_zero_expires_after_one_second(user, clock, settings):
    settings.EMAIL_VERIFICATION_TIMEOUT = 0
    token = email_verification_token.make_token(user)
    clock(NOW + timedelta(seconds=1))
    assert not email_verification_token.check_token(user, token)


def test_token_ignores_password_reset_timeout(user, clock, settings):
    settings.PASSWORD_RESET_TIMEOUT = 1
    settings.EMAIL_VERIFICATION_TIMEOUT = 3600
    token = email_verification_token.make_token(user)
    clock(NOW + timedelta(seconds=60))
    assert email_verification_token.check_token(user, token)


def test_token_from_another_secret_is_invalid(user, settings):
    token = email_verification_token.make_token(user)
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789-abcdefghijklmnop"
    assert not email_verification_token.check_token(user, token)


def test_tampered_timestamp_is_invalid(user):
    token = email_verification_token.make_token(user)
    ts, digest = token.split("-")
    forged = f"{int_to_base36(base36_to_int(ts) + 1000)}-{digest}"
    assert not email_verification_token.check_token(user, forged)


@pytest.mark.parametrize(
    "token",
    [
        "",
        None,
        "abc",
        "x-y",
        "-",
        "a-b-c",
        "zzzzzzzzzzzzzzzzzzzz-abc",
        "é-abc",
        "1" * 10_000,
        "a" * 5_000 + "-" + "b" * 5_000,
    ],
    ids=["empty", "none", "no-dash", "x-y", "dash", "two-dashes", "huge-ts", "unicode", "long", "long-dash"],
)
def test_garbage_tokens_are_invalid_without_raising(user, token):
    assert email_verification_token.check_token(user, token) is False
