"""A sign-in from a device the account has not used before tells its owner (issue 16,
item 5): a mandatory security notice by email and in-app, and an audit row. A browser
is a signed device cookie; an API client is its user agent's family and its network."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from mfa.models import KnownDevice
from notifications.models import Notification
from tests.factories import PASSWORD
from tests.mfa.conftest import enrol, totp_code
from users.devices import DEVICE_COOKIE, user_agent_family
from users.notices import NEW_DEVICE

# Real commits: the notices' emails go out on commit, as they do in production.
pytestmark = pytest.mark.django_db(transaction=True)

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
FIREFOX_NEWER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)
LOGIN, VERIFY = reverse("admin:login"), reverse("admin:two_step_verify")
INDEX = reverse("admin:index")


def api_login(user, agent=FIREFOX, address="203.0.113.10"):
    response = Client().post(
        "/login/",
        {"username": user.email, "password": PASSWORD},
        HTTP_USER_AGENT=agent,
        REMOTE_ADDR=address,
    )
    assert response.status_code == 200, response.content
    return response


def notices(user, mailoutbox):
    emails = [m for m in mailoutbox if m.to == [user.email] and "New sign-in" in m.subject]
    in_app = list(Notification.objects.filter(recipient=user, kind=NEW_DEVICE))
    return emails, in_app


@pytest.fixture
def known(verified_user):
    """A member whose first sign-in (Firefox on Linux, from 203.0.113.0/24) is recorded."""
    api_login(verified_user)
    return verified_user


def test_the_first_sign_in_is_remembered_without_a_notice(verified_user, mailoutbox):
    api_login(verified_user)

    assert notices(verified_user, mailoutbox) == ([], [])
    device = KnownDevice.objects.get(user=verified_user)
    assert device.kind == "api" and device.label == "Firefox on Linux"
    assert len(device.fingerprint) == 64 and "203.0.113" not in device.fingerprint


@pytest.mark.parametrize(
    ("agent", "address"),
    [
        (FIREFOX, "203.0.113.99"),  # same network (/24)
        (FIREFOX_NEWER, "203.0.113.10"),  # the browser updated
    ],
)
def test_the_same_device_again_tells_nobody(known, mailoutbox, agent, address):
    api_login(known, agent, address)

    assert notices(known, mailoutbox) == ([], [])
    assert KnownDevice.objects.filter(user=known).count() == 1


@pytest.mark.parametrize(
    ("agent", "address", "label"),
    [
        (CHROME_WINDOWS, "203.0.113.10", "Chrome on Windows"),  # another client
        (FIREFOX, "198.51.100.7", "Firefox on Linux"),  # another network
        ("curl/8.5.0", "203.0.113.10", "curl"),
    ],
)
def test_an_api_login_from_a_new_device_tells_the_owner_by_email_and_in_app(known, mailoutbox, agent, address, label):
    api_login(known, agent, address)

    emails, in_app = notices(known, mailoutbox)
    assert len(emails) == 1 and len(in_app) == 1
    assert label in emails[0].body and address in emails[0].body and "the API" in emails[0].body
    assert "reset it at once" in in_app[0].body
    event = AuditEvent.objects.get(action="user.new_device_sign_in", target_user=known)
    assert label in event.note
    api_login(known, agent, address)  # now known
    assert len(notices(known, mailoutbox)[0]) == 1


def test_the_notice_cannot_be_turned_off(known, mailoutbox):
    from notifications.registry import get_kind

    assert get_kind(NEW_DEVICE).mandatory


def admin_sign_in(client, user, agent=FIREFOX):
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD, "next": INDEX}, HTTP_USER_AGENT=agent)
    assert response.status_code == 302, response.content
    return response


def test_a_browser_is_its_device_cookie(admin_user, mailoutbox):
    laptop = Client()
    first = admin_sign_in(laptop, admin_user)
    assert DEVICE_COOKIE in first.cookies
    cookie = first.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 365 * 24 * 3600
    assert notices(admin_user, mailoutbox) == ([], [])  # the first device

    laptop.post(reverse("admin:logout"))  # (Client.logout() would drop every cookie)
    again = admin_sign_in(laptop, admin_user)
    assert DEVICE_COOKIE not in again.cookies  # kept, not replaced
    assert notices(admin_user, mailoutbox) == ([], [])

    admin_sign_in(Client(), admin_user)  # another browser, same user agent
    emails, in_app = notices(admin_user, mailoutbox)
    assert len(emails) == 1 and len(in_app) == 1
    assert "the admin" in emails[0].body and "Firefox on Linux" in emails[0].body


def test_a_forged_device_cookie_is_a_new_device(admin_user, mailoutbox):
    admin_sign_in(Client(), admin_user)
    forger = Client()
    forger.cookies[DEVICE_COOKIE] = "made-up-id"

    response = admin_sign_in(forger, admin_user)

    assert DEVICE_COOKIE in response.cookies
    assert len(notices(admin_user, mailoutbox)[0]) == 1


def test_with_a_factor_the_device_counts_once_the_code_is_given(admin_user, mailoutbox):
    device, _ = enrol(admin_user)
    admin_sign_in(Client(), admin_user)
    assert KnownDevice.objects.filter(user=admin_user).count() == 0  # the password alone is no sign-in

    client = Client()
    admin_sign_in(client, admin_user)
    response = client.post(VERIFY, {"code": totp_code(device)}, HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 302
    assert DEVICE_COOKIE in response.cookies
    assert KnownDevice.objects.filter(user=admin_user, kind="browser").count() == 1


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        (FIREFOX, "Firefox on Linux"),
        (CHROME_WINDOWS, "Chrome on Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
            "Safari on iOS",
        ),
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"),
        ("python-requests/2.32.3", "python-requests"),
        ("", "unknown client"),
        ("<script>", "unknown client"),
    ],
)
def test_user_agent_families(agent, family):
    assert user_agent_family(agent) == family


@pytest.mark.postgresql
def test_sixteen_logins_at_once_from_one_new_device_tell_the_owner_once(known, mailoutbox):
    """PostgreSQL (concurrent writers): the device's row is made once, its notice sent once."""
    from tests.users.test_lockout import all_at_once

    errors = all_at_once(lambda: api_login(known, CHROME_WINDOWS, "198.51.100.7"))

    assert errors == []
    assert KnownDevice.objects.filter(user=known).count() == 2
    emails, in_app = notices(known, mailoutbox)
    assert len(emails) == 1 and len(in_app) == 1
