"""My account → Security (issue 16 on the member pages), through the test client and the
real database: an authenticator app turned on with the password and its first code, the
recovery codes shown once and never cached, new codes, the app and passkeys removed with
the password and a code; every wrong password or code counted toward the lockout as at
log-in (here and on the admin's factor pages), audit rows and notices; a member with a
passkey logs in in two steps; a log-in from a new browser tells the owner."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from mfa.models import RecoveryCode
from mfa.notices import FACTORS_CHANGED
from mfa.services import totp_device, totp_pending
from notifications.models import Notification
from portal.views.security import PASSKEY_PROOF_KEY
from tests.factories import PASSWORD, UserFactory
from tests.mfa.conftest import enrol, totp_code
from users.devices import DEVICE_COOKIE
from users.notices import ACCOUNT_LOCKED, NEW_DEVICE

SECURITY = reverse("portal:account-security")
APP = reverse("portal:account-security-app")
APP_REMOVE = reverse("portal:account-security-app-remove")
CODES = reverse("portal:account-security-codes")
PASSKEY_ADD = reverse("portal:account-security-passkey-add")
REGISTER_BEGIN = reverse("portal:passkey-register-begin")
LOGIN, SECOND_STEP = reverse("portal:login"), reverse("portal:login-second-step")
AUTH_BEGIN = reverse("portal:passkey-auth-begin")
PAGES = [SECURITY, APP, APP_REMOVE, CODES, PASSKEY_ADD]
CODE_SHAPE = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


@pytest.fixture
def member(db):
    return UserFactory()


def logged_in(user, otp=""):
    client = Client()
    response = client.post(LOGIN, {"email": user.email, "password": PASSWORD, "otp": otp})
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def as_member(member):
    return logged_in(member)


def passkey_for(user, name="Laptop"):
    return WebAuthnCredential.objects.create(
        user=user, name=name, confirmed=True, credential_id=b"id-" + name.encode(), public_key=b"key"
    )


def attempts(user) -> int:
    user.refresh_from_db()
    return user.failed_login_attempts


def no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("url", PAGES)
def test_every_security_page_needs_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(f"{LOGIN}?next=")


def test_the_account_navigation_links_the_security_page(as_member):
    page = as_member.get(reverse("portal:account")).content.decode()
    assert f'href="{SECURITY}"' in page


@pytest.mark.parametrize("factors", ["none", "app", "app and passkeys"])
def test_the_security_page_costs_the_same_queries_whatever_the_factors(member, factors, django_assert_num_queries):
    if factors != "none":
        enrol(member)
    if factors == "app and passkeys":
        passkey_for(member, "Laptop"), passkey_for(member, "Phone")
    client = logged_in(member, otp=totp_code(totp_device(member)) if factors != "none" else "")
    # session, user, unread count in the header; the app, the recovery codes left, the passkeys
    with django_assert_num_queries(6):
        page = client.get(SECURITY)
    assert page.status_code == 200 and no_store(page)
    text = page.content.decode()
    assert ("Two-step log-in is <strong>on</strong>" in text) == (factors != "none")
    if factors == "app and passkeys":
        assert "Laptop, added" in text and "Phone, added" in text


def test_the_setup_page_shows_the_qr_code_and_the_key_under_the_strict_csp(as_member, member):
    page = as_member.get(APP)
    text = page.content.decode()
    assert page.status_code == 200 and no_store(page)
    assert "<svg" in text and 'class="mfa-qr"' in text
    assert " style=" not in text and "<style" not in text and "<script>" not in text
    key = re.search(r'<code id="security-key" class="secret-key">([A-Z2-7 ]+)</code>', text).group(1)
    assert key.replace(" ", "") in totp_pending(user=member).config_url
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("data", "fields"),
    [({}, {"password", "code"}), ({"password": PASSWORD}, {"code"}), ({"code": "123456"}, {"password"})],
)
def test_the_setup_needs_the_password_and_a_code_and_names_what_is_missing(as_member, member, data, fields):
    response = as_member.post(APP, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == fields
    assert totp_device(member) is None


def test_turning_on_the_app_shows_ten_recovery_codes_once(as_member, member, mailoutbox):
    pending = totp_pending(user=member)
    response = as_member.post(APP, {"password": PASSWORD, "code": totp_code(pending)})

    assert response.status_code == 200 and no_store(response)
    codes = CODE_SHAPE.findall(response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert RecoveryCode.objects.filter(device__user=member).count() == 10
    assert totp_device(member) is not None
    assert AuditEvent.objects.filter(action="mfa.totp_added", target_user=member).exists()
    assert Notification.objects.filter(recipient=member, kind=FACTORS_CHANGED).exists()
    # never again: the overview counts them, no page shows them
    for url in (SECURITY, CODES, APP):
        assert not CODE_SHAPE.findall(as_member.get(url, follow=True).content.decode())
    assert '<strong id="codes-left">10</strong>' in as_member.get(SECURITY).content.decode()


def test_a_wrong_password_on_the_setup_counts_toward_the_lockout_and_a_wrong_first_code_does_not(as_member, member):
    pending = totp_pending(user=member)
    wrong_password = as_member.post(APP, {"password": "not-it", "code": totp_code(pending)})
    assert wrong_password.status_code == 400
    assert "password" in wrong_password.context["form"].errors
    assert attempts(member) == 1

    wrong_code = as_member.post(APP, {"password": PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 400 and "code" in wrong_code.context["form"].errors
    assert attempts(member) == 1  # the app's first code proves nothing about who is there


@pytest.fixture
def enrolled(member):
    device, codes = enrol(member)
    member.device, member.codes = device, codes
    return member


@pytest.fixture
def enrolled_admin(admin_user):
    admin_user.device, admin_user.codes = enrol(admin_user)
    return admin_user


@pytest.fixture
def as_enrolled(enrolled):
    return logged_in(enrolled, otp=enrolled.codes[-1])


def test_new_recovery_codes_need_the_password_and_a_current_code(as_enrolled, enrolled):
    missing = as_enrolled.post(CODES, {"password": PASSWORD})
    assert missing.status_code == 400 and set(missing.context["form"].errors) == {"code"}

    wrong = as_enrolled.post(CODES, {"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 400 and "code" in wrong.context["form"].errors
    assert attempts(enrolled) == 1  # a wrong code counts as a wrong password

    made = as_enrolled.post(CODES, {"password": PASSWORD, "code": totp_code(enrolled.device, 1)})
    assert made.status_code == 200 and no_store(made)
    codes = CODE_SHAPE.findall(made.content.decode())
    assert len(codes) == 10 and not set(codes) & set(enrolled.codes)
    assert attempts(enrolled) == 0  # a right password and code give the budget back
    assert AuditEvent.objects.filter(action="mfa.recovery_codes_regenerated", target_user=enrolled).exists()


def test_turning_off_the_only_factor_says_what_happens_and_needs_a_code(as_enrolled, enrolled):
    page = as_enrolled.get(APP_REMOVE).content.decode()
    assert "log in with your password alone" in page

    response = as_enrolled.post(APP_REMOVE, {"password": PASSWORD, "code": enrolled.codes[0]}, follow=True)

    assert response.redirect_chain[-1][0] == SECURITY
    assert "no second factor left" in response.content.decode()
    assert totp_device(enrolled) is None
    assert not RecoveryCode.objects.filter(device__user=enrolled).exists()
    assert AuditEvent.objects.filter(action="mfa.totp_removed", target_user=enrolled).exists()
    assert Notification.objects.filter(recipient=enrolled, kind=FACTORS_CHANGED).count() == 2  # added, removed


def test_wrong_passwords_on_these_forms_lock_the_account_as_at_log_in(as_enrolled, enrolled, settings):
    for attempt in range(1, settings.MAX_LOGIN_ATTEMPTS):
        response = as_enrolled.post(APP_REMOVE, {"password": "not-it", "code": totp_code(enrolled.device)})
        assert response.status_code == 400 and "password" in response.context["form"].errors
        assert attempts(enrolled) == attempt

    last = as_enrolled.post(APP_REMOVE, {"password": "not-it", "code": "000000"})

    assert last.status_code == 302 and last.url == LOGIN
    enrolled.refresh_from_db()
    assert enrolled.is_locked
    assert totp_device(enrolled) is not None
    assert Notification.objects.filter(recipient=enrolled, kind=ACCOUNT_LOCKED).exists()
    assert AuditEvent.objects.filter(action="user.locked_by_failed_logins", target_user=enrolled).exists()
    assert as_enrolled.get(SECURITY).status_code == 302  # signed out


def test_wrong_passwords_on_the_admins_factor_page_count_too(enrolled_admin, settings):
    client = Client()
    client.post(reverse("admin:login"), {"username": enrolled_admin.email, "password": PASSWORD})
    client.post(reverse("admin:two_step_verify"), {"code": enrolled_admin.codes[0]})
    manage = reverse("admin:two_step_manage")
    data = {"action": "remove", "remove-password": "not-it", "remove-code": totp_code(enrolled_admin.device)}

    assert client.post(manage, data).status_code == 400
    assert attempts(enrolled_admin) == 1
    for _ in range(settings.MAX_LOGIN_ATTEMPTS - 1):
        last = client.post(manage, data)

    assert last.status_code == 302 and last.url == reverse("admin:login")
    enrolled_admin.refresh_from_db()
    assert enrolled_admin.is_locked and totp_device(enrolled_admin) is not None


def test_a_passkey_is_listed_and_removed_with_the_password_and_a_code(as_enrolled, enrolled):
    passkey = passkey_for(enrolled, "Work laptop")
    url = reverse("portal:account-security-passkey-remove", args=[passkey.pk])
    assert "You keep your other second factor" in as_enrolled.get(url).content.decode()

    wrong = as_enrolled.post(url, {"password": PASSWORD, "code": "nope"})
    assert wrong.status_code == 400 and "code" in wrong.context["form"].errors
    response = as_enrolled.post(url, {"password": PASSWORD, "code": enrolled.codes[1]}, follow=True)

    assert "was removed" in response.content.decode()
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert AuditEvent.objects.filter(action="mfa.passkey_removed", target_user=enrolled).exists()


def test_someone_elses_passkey_is_not_found(as_member, enrolled_admin):
    passkey = passkey_for(enrolled_admin)
    url = reverse("portal:account-security-passkey-remove", args=[passkey.pk])
    assert as_member.get(url).status_code == 404


def test_adding_a_passkey_needs_the_password_first_and_then_offers_the_browsers_ceremony(as_member, member):
    assert as_member.post(REGISTER_BEGIN).json()["code"] == "proof_required"
    page = as_member.get(PASSKEY_ADD).content.decode()
    assert "needs JavaScript" in page and 'name="password"' in page and 'name="code"' not in page

    wrong = as_member.post(PASSKEY_ADD, {"password": "not-it"})
    assert wrong.status_code == 400 and "password" in wrong.context["form"].errors
    assert attempts(member) == 1
    ok = as_member.post(PASSKEY_ADD, {"password": PASSWORD}, follow=True)

    text = ok.content.decode()
    assert 'id="passkey-registration-placeholder"' in text and 'id="otp_webauthn_config"' in text
    assert "<script>" not in text
    begin = as_member.post(REGISTER_BEGIN)
    assert begin.status_code == 200 and begin.json()["rp"]["id"] == "testserver"

    session = as_member.session
    session[PASSKEY_PROOF_KEY] = int(time.time()) - 11 * 60
    session.save()
    assert as_member.post(REGISTER_BEGIN).json()["code"] == "proof_required"


def test_a_member_with_a_factor_adds_a_passkey_with_a_code_too(as_enrolled, enrolled):
    missing = as_enrolled.post(PASSKEY_ADD, {"password": PASSWORD})
    assert missing.status_code == 400 and set(missing.context["form"].errors) == {"code"}
    wrong = as_enrolled.post(PASSKEY_ADD, {"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 400 and "code" in wrong.context["form"].errors
    assert as_enrolled.post(PASSKEY_ADD, {"password": PASSWORD, "code": enrolled.codes[2]}).status_code == 302
    assert as_enrolled.post(REGISTER_BEGIN).status_code == 200


def test_a_member_with_a_passkey_logs_in_in_two_steps(member):
    _, codes = enrol(member)
    passkey_for(member)
    client = Client()
    response = client.post(LOGIN, {"email": member.email, "password": PASSWORD, "next": "/app/account/"})
    assert response.status_code == 302 and response.url.startswith(SECOND_STEP)
    assert client.get(SECURITY).status_code == 302  # not signed in yet

    page = client.get(response.url)
    assert page.status_code == 200 and 'id="passkey-verification-placeholder"' in page.content.decode()
    begin = client.post(AUTH_BEGIN)
    assert begin.status_code == 200 and begin.json()["allowCredentials"]

    wrong = client.post(SECOND_STEP, {"code": "000000", "next": "/app/account/"})
    assert wrong.status_code == 401 and "code" in wrong.context["form"].errors
    ok = client.post(SECOND_STEP, {"code": codes[0], "next": "/app/account/"})
    assert ok.status_code == 302 and ok.url == "/app/account/"
    assert client.get(SECURITY).status_code == 200
    assert attempts(member) == 0


def test_the_second_step_is_only_for_a_visitor_who_gave_the_password(client, db):
    response = client.get(SECOND_STEP)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert client.post(AUTH_BEGIN).json()["code"] == "second_step_not_owed"


def test_a_member_with_only_an_app_still_gives_the_code_on_the_login_form(enrolled):
    response = Client().post(LOGIN, {"email": enrolled.email, "password": PASSWORD})
    assert response.status_code == 401 and "otp" in response.context["form"].errors


@pytest.mark.django_db(transaction=True)
def test_a_login_from_a_new_browser_tells_the_owner_as_the_admin_and_the_api_do(member, mailoutbox):
    first = Client()
    response = first.post(LOGIN, {"email": member.email, "password": PASSWORD})
    assert DEVICE_COOKIE in response.cookies  # the browser is remembered
    assert not Notification.objects.filter(recipient=member, kind=NEW_DEVICE).exists()  # nothing to compare with
    first.post(reverse("portal:logout"))
    first.post(LOGIN, {"email": member.email, "password": PASSWORD})
    assert not Notification.objects.filter(recipient=member, kind=NEW_DEVICE).exists()  # the same browser

    Client().post(LOGIN, {"email": member.email, "password": PASSWORD})

    assert Notification.objects.filter(recipient=member, kind=NEW_DEVICE).count() == 1
    assert any("New sign-in" in m.subject for m in mailoutbox if m.to == [member.email])
    event = AuditEvent.objects.get(action="user.new_device_sign_in", target_user=member)
    assert "the member pages" in event.note


def test_the_admin_header_links_the_staff_users_own_factor_page(admin_site_client):
    page = admin_site_client.get(reverse("admin:index")).content.decode()
    link = f'<a href="{reverse("admin:two_step_manage")}" id="two-step-link">Two-step sign-in</a>'
    assert link in page
    assert page.index(reverse("admin:password_change")) < page.index(link)


def test_a_passkey_is_renamed_and_a_bad_name_is_a_400_naming_the_field(as_member, member, django_assert_num_queries):
    passkey = passkey_for(member, "")
    url = reverse("portal:account-security-passkey-rename", args=[passkey.pk])
    with django_assert_num_queries(4):  # session, user, unread count, the passkey
        assert as_member.get(url).status_code == 200

    for bad in ("", "   ", "x" * 65):
        response = as_member.post(url, {"name": bad})
        assert response.status_code == 400 and set(response.context["form"].errors) == {"name"}
    response = as_member.post(url, {"name": "  Blue   security key "}, follow=True)

    assert response.redirect_chain[-1][0] == SECURITY
    assert "Blue security key, added" in response.content.decode()
    passkey.refresh_from_db()
    assert passkey.name == "Blue security key"
    assert AuditEvent.objects.filter(action="mfa.passkey_renamed", target_user=member).exists()
    other = passkey_for(UserFactory(), "Theirs")
    assert (
        as_member.post(reverse("portal:account-security-passkey-rename", args=[other.pk]), {"name": "Mine"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("url", "factor", "queries"),
    [
        # session, user, unread count; then the page's own reads
        (APP, False, 7),  # the app (none), the factors (one UNION), the pending key (kept or made)
        (APP_REMOVE, True, 5),  # the app, the passkeys
        (CODES, True, 4),  # the factors
        (PASSKEY_ADD, False, 4),  # the factors
        (PASSKEY_ADD, True, 4),
        (reverse("portal:account-security-passkey-added"), False, 3),
    ],
)
def test_each_security_page_costs_a_fixed_number_of_queries(db, url, factor, queries, django_assert_num_queries):
    user = UserFactory()
    client = logged_in(user, otp=enrol(user)[1][0] if factor else "")
    client.get(url)  # a first visit may make the pending key
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200 and no_store(response)


def test_the_second_step_page_costs_two_queries(enrolled, django_assert_num_queries):
    passkey_for(enrolled)
    client = Client()
    client.post(LOGIN, {"email": enrolled.email, "password": PASSWORD})
    with django_assert_num_queries(2):  # the session, the pending account
        response = client.get(SECOND_STEP)
    assert response.status_code == 200 and no_store(response)
