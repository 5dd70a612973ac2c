"""Lockout: the budget of MAX_LOGIN_ATTEMPTS holds under concurrency, and concurrent right
passwords all get in; the notice; cool-off; unlock."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import OperationalError, connection
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.servers import SERVERS
from users.models import User
from users.services import AccountLocked, InvalidCredentials, user_login

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "Wrong*Pass1"
AT_ONCE = 16


class CountingHasher:
    """Counts real password checks (`verify`), per thread and in total."""

    def __init__(self, monkeypatch):
        self.lock = threading.Lock()
        self.total = 0
        self.local = threading.local()
        verify = MD5PasswordHasher.verify

        def counting_verify(hasher, password, encoded):
            with self.lock:
                self.total += 1
            self.local.checked = True
            return verify(hasher, password, encoded)

        monkeypatch.setattr(MD5PasswordHasher, "verify", counting_verify)


def _attempt(email, hasher):
    """One wrong-password login. pytest-django's SQLite test database is in memory with a
    shared cache, where a statement meeting another connection's table lock fails at once
    ("database table is locked"): such a statement did not run. Before the password was
    checked nothing was counted, so the login is simply sent again; after it, the attempt
    is reported as is (never retried: that would buy a guess). PostgreSQL never needs this."""
    for _ in range(400):
        hasher.local.checked = False
        try:
            return user_login(email=email, password=WRONG_PASSWORD)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) or hasher.local.checked:
                raise
            time.sleep(0.002)
    raise AssertionError("SQLite table still locked after 400 tries")


def all_at_once(fn) -> list[str]:
    """Call `fn` in AT_ONCE threads released together, each on its own database connection;
    return the unexpected exceptions."""
    barrier = threading.Barrier(AT_ONCE)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            fn()
        except Exception as exc:  # reported by the caller's assertion
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


# PostgreSQL only (deselected elsewhere, see tests/conftest.py): in a full run, SQLite's shared
# in-memory test database refuses concurrent writers ("table is locked") once earlier tests'
# threads hold connections to it; the row-level race this guards against is PostgreSQL's.
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("max_attempts", [1, 3])
def test_sixteen_wrong_passwords_at_once_check_exactly_max_attempts(settings, monkeypatch, max_attempts):
    settings.MAX_LOGIN_ATTEMPTS = max_attempts
    user = UserFactory()
    hasher = CountingHasher(monkeypatch)
    outcomes = []

    def attempt():
        try:
            _attempt(user.email, hasher)
        except (InvalidCredentials, AccountLocked) as exc:
            outcomes.append(type(exc).__name__)

    errors = all_at_once(attempt)

    assert hasher.total == max_attempts  # the budget: never one password check more
    assert outcomes.count("InvalidCredentials") + len(errors) == max_attempts
    assert outcomes.count("AccountLocked") == AT_ONCE - max_attempts
    fresh = User.objects.get(pk=user.pk)
    assert fresh.failed_login_attempts == max_attempts
    if not errors:  # on PostgreSQL always; the lock is the last statement of the last check
        assert fresh.is_locked is True
        assert AuditEvent.objects.filter(action="user.locked_by_failed_logins", target_user=user).count() == 1
    # However it ended, the right password is refused now, and checked no more.
    with pytest.raises(AccountLocked):
        user_login(email=user.email, password=PASSWORD)
    assert hasher.total == max_attempts


# PostgreSQL only, as above. Issue 18: with the attempt counted before the check and the
# checks off the event loop, more right passwords in flight than MAX_LOGIN_ATTEMPTS used to
# get "Account locked" for an account that was not locked. A slow hash keeps them in flight.
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server", sorted(SERVERS))
def test_sixteen_right_passwords_at_once_all_get_in(settings, monkeypatch, server):
    settings.MAX_LOGIN_ATTEMPTS = 3
    settings.AUTH_THROTTLE_RATE = None
    user = UserFactory()
    verify = MD5PasswordHasher.verify
    monkeypatch.setattr(MD5PasswordHasher, "verify", lambda *args: time.sleep(0.02) or verify(*args))
    statuses = []

    def log_in():
        response = SERVERS[server]().post("/login/", {"username": user.email, "password": PASSWORD})
        statuses.append((response.status_code, response.json().get("detail")))

    assert all_at_once(log_in) == []
    assert statuses == [(200, None)] * AT_ONCE
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.is_locked, fresh.failed_login_attempts) == (False, 0)


def test_a_locked_account_never_checks_the_password(locked_user, monkeypatch):
    hasher = CountingHasher(monkeypatch)
    for password in (PASSWORD, WRONG_PASSWORD):
        with pytest.raises(AccountLocked):
            user_login(email=locked_user.email, password=password)
    assert hasher.total == 0


def test_the_lock_after_failed_logins_is_audited_and_ends_sessions(verified_user, settings):
    settings.MAX_LOGIN_ATTEMPTS = 2
    version = verified_user.token_version
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            user_login(email=verified_user.email, password=WRONG_PASSWORD)
    fresh = User.objects.get(pk=verified_user.pk)
    assert (fresh.is_locked, fresh.token_version) == (True, version + 1)
    assert fresh.locked_at is not None
    event = AuditEvent.objects.get(action="user.locked_by_failed_logins")
    assert (event.target_user_id, event.actor_id, event.changes) == (fresh.pk, None, {"is_locked": [False, True]})


def test_a_right_password_gives_the_attempt_back(verified_user):
    with pytest.raises(InvalidCredentials):
        user_login(email=verified_user.email, password=WRONG_PASSWORD)
    assert user_login(email=verified_user.email, password=PASSWORD).failed_login_attempts == 0
    assert User.objects.get(pk=verified_user.pk).failed_login_attempts == 0


@pytest.mark.parametrize(("cooloff", "minutes_ago", "unlocked"), [(0, 600, False), (30, 10, False), (30, 31, True)])
def test_cooloff_lifts_a_lock_only_when_set_and_elapsed(settings, cooloff, minutes_ago, unlocked):
    settings.LOCKOUT_COOLOFF_MINUTES = cooloff
    user = UserFactory(locked=True)
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now() - timedelta(minutes=minutes_ago))
    if unlocked:
        assert user_login(email=user.email, password=PASSWORD).pk == user.pk
        fresh = User.objects.get(pk=user.pk)
        assert (fresh.is_locked, fresh.failed_login_attempts, fresh.locked_at) == (False, 0, None)
    else:
        with pytest.raises(AccountLocked):
            user_login(email=user.email, password=PASSWORD)
        assert User.objects.get(pk=user.pk).is_locked is True


def test_after_the_cooloff_a_wrong_password_counts_from_one(settings):
    settings.LOCKOUT_COOLOFF_MINUTES = 5
    user = UserFactory(locked=True)
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now() - timedelta(minutes=6))
    with pytest.raises(InvalidCredentials):
        user_login(email=user.email, password=WRONG_PASSWORD)
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.is_locked, fresh.failed_login_attempts) == (False, 1)


def test_the_logins_metric_counts_each_outcome(settings):
    from users.services.login import LOGINS

    settings.MAX_LOGIN_ATTEMPTS = 2
    user = UserFactory()

    def counts():
        return {outcome: LOGINS.labels(outcome=outcome)._value.get() for outcome in ("ok", "failed", "locked")}

    before = counts()
    user_login(email=user.email, password=PASSWORD)
    for password in (WRONG_PASSWORD, WRONG_PASSWORD, PASSWORD):  # failed, the one that locks, refused
        with pytest.raises((InvalidCredentials, AccountLocked)):
            user_login(email=user.email, password=password)
    with pytest.raises(InvalidCredentials):
        user_login(email="nobody@example.com", password=PASSWORD)

    after = counts()
    assert {outcome: after[outcome] - before[outcome] for outcome in after} == {"ok": 1, "failed": 2, "locked": 2}
