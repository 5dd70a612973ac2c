"""Single use under concurrency (issue 16, item 4): requests sent at once with one recovery
code, or one authenticator code: exactly one gets in.

PostgreSQL only (deselected elsewhere, see tests/conftest.py): SQLite's shared in-memory test
database refuses concurrent writers outright; the row-level race is PostgreSQL's."""

import threading

import pytest
from django.db import connection

from mfa.models import RecoveryCode, RecoveryCodeDevice
from tests.factories import PASSWORD, UserFactory
from tests.servers import SERVERS

from .conftest import enrol, totp_code

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def at_once(count, fn) -> list[str]:
    """Call `fn` in `count` threads released together, each on its own connection; return
    the unexpected exceptions."""
    barrier = threading.Barrier(count)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            fn()
        except Exception as exc:  # reported by the caller's assertion
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.parametrize("count", [2, 8])
def test_one_recovery_code_spent_at_once_wins_once(count):
    user = UserFactory()
    _, codes = enrol(user)
    device = RecoveryCodeDevice.objects.get(user=user)
    results = []

    assert (
        at_once(count, lambda: results.append(RecoveryCodeDevice.objects.get(pk=device.pk).verify_token(codes[0])))
        == []
    )
    assert sorted(results) == [False] * (count - 1) + [True]
    assert RecoveryCode.objects.filter(device=device).count() == 9


@pytest.mark.parametrize("server", sorted(SERVERS))
@pytest.mark.parametrize("kind", ["recovery", "totp"])
def test_two_logins_at_once_with_one_code_one_gets_a_token(settings, server, kind):
    settings.AUTH_THROTTLE_RATE = None
    settings.MAX_LOGIN_ATTEMPTS = 10
    user = UserFactory()
    device, codes = enrol(user)
    code = codes[0] if kind == "recovery" else totp_code(device)
    answers = []

    def log_in():
        response = SERVERS[server]().post("/login/", {"username": user.email, "password": PASSWORD, "otp": code})
        answers.append((response.status_code, response.json().get("code")))

    assert at_once(2, log_in) == []
    assert sorted(answers, key=str) == [(200, None), (401, "otp_invalid")]
