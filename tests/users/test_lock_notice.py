"""A lockout protects without being a weapon (issue 16, item 7): its owner is told, with the
way back in; a reset unlocks; a lock from failed logins lifts after LOCKOUT_COOLOFF_MINUTES
(0: never by itself); a lock by staff waits for staff. Through the API, as a member sees it."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import Notification
from tests.factories import PASSWORD, UserFactory
from users.models import User
from users.services import user_lock

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "Wrong*Pass1"
LOCKED = "Account locked due to too many failed login attempts."  # docs/api-contract.md fixes it
RESET_RE = re.escape(django_settings.SERVER_BASE_URL) + r"/reset/([A-Za-z0-9_-]+)/([0-9a-z]+-[0-9a-f]+)/"
NEW_PASSWORD = "Brand*New5678"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.AUTH_THROTTLE_RATE = None
    settings.LOCKOUT_COOLOFF_MINUTES = 15  # the default (event_manager/settings/)


def log_in(api_client, user, password=PASSWORD):
    return api_client.post("/login/", {"username": user.email, "password": password})


def lock_out(api_client, user, capture):
    with capture(execute=True):
        statuses = [log_in(api_client, user, WRONG_PASSWORD).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    assert User.objects.get(pk=user.pk).is_locked


def minutes_ago(user, minutes):
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.parametrize(("cooloff", "says"), [(15, "for the next 15 minutes"), (0, "until you reset your password")])
def test_a_lock_tells_its_owner_by_email_and_in_app_how_to_get_back_in(
    api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks, settings, cooloff, says
):
    settings.LOCKOUT_COOLOFF_MINUTES = cooloff
    lock_out(api_client, verified_user, django_capture_on_commit_callbacks)

    [mail] = mailoutbox
    assert mail.to == [verified_user.email]
    assert mail.subject == "Your Event Manager account is locked"
    body = " ".join(mail.body.split())
    assert "After 3 wrong passwords in a row" in body and says in body
    assert re.search(RESET_RE, mail.body)
    [notice] = Notification.objects.filter(recipient=verified_user)
    assert notice.title == "Your Event Manager account is locked"
    assert says in notice.body
    assert "/reset/" not in notice.body + (notice.link or "")  # the token link is for the email only


def test_the_link_in_the_notice_unlocks_by_a_new_password(
    api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    lock_out(api_client, verified_user, django_capture_on_commit_callbacks)
    assert log_in(api_client, verified_user).json()["detail"] == LOCKED
    uid, token = re.search(RESET_RE, mailoutbox[0].body).groups()

    confirm = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    assert api_client.post("/password-reset/confirm", confirm, format="json").status_code == 200

    assert log_in(api_client, verified_user, NEW_PASSWORD).status_code == 200


def test_only_the_attempt_that_locks_sends_the_notice(
    api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    lock_out(api_client, verified_user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        for password in (WRONG_PASSWORD, PASSWORD):
            response = log_in(api_client, verified_user, password)
            assert (response.status_code, response.json()["detail"]) == (400, LOCKED)
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(("cooloff", "ago", "lifted"), [(15, 14, False), (15, 16, True), (0, 14400, False)])
def test_a_lock_from_failed_logins_lasts_the_cooloff(
    api_client, verified_user, django_capture_on_commit_callbacks, settings, cooloff, ago, lifted
):
    settings.LOCKOUT_COOLOFF_MINUTES = cooloff
    lock_out(api_client, verified_user, django_capture_on_commit_callbacks)
    minutes_ago(verified_user, ago)

    response = log_in(api_client, verified_user)

    assert response.status_code == (200 if lifted else 400)
    unlocks = AuditEvent.objects.filter(action="user.unlocked_after_cooloff", target_user=verified_user)
    if lifted:
        [unlock] = unlocks
        assert (unlock.actor_id, unlock.changes) == (None, {"is_locked": [True, False]})
    else:
        assert response.json()["detail"] == LOCKED
        assert not unlocks.exists()


def test_the_default_cooloff_is_fifteen_minutes():
    from event_manager import settings as project_settings  # the module, not the fixture's override

    assert project_settings.LOCKOUT_COOLOFF_MINUTES == 15


def test_after_the_cooloff_three_more_wrong_passwords_lock_again(
    api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    lock_out(api_client, verified_user, django_capture_on_commit_callbacks)
    minutes_ago(verified_user, 16)
    lock_out(api_client, verified_user, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2
    assert AuditEvent.objects.filter(action="user.locked_by_failed_logins", target_user=verified_user).count() == 2


def test_a_lock_by_staff_waits_for_staff_whatever_the_cooloff(api_client, verified_user):
    log_in(api_client, verified_user, WRONG_PASSWORD)  # a failed attempt before the lock
    user_lock(user=verified_user)
    minutes_ago(verified_user, 60 * 24)

    assert log_in(api_client, verified_user).status_code == 400
    assert User.objects.get(pk=verified_user.pk).is_locked


def test_the_admin_login_says_how_to_get_back_in(client, django_capture_on_commit_callbacks):
    staff = UserFactory(admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            client.post("/admin/login/", {"username": staff.email, "password": WRONG_PASSWORD})
    page = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD}).content.decode()
    assert "This account is locked after too many failed logins." in page
    assert "a new password unlocks the account" in page
