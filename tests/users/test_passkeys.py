"""Passkeys in the admin, around the WebAuthn ceremonies (the ceremonies themselves run
in a real browser: tests/browser/test_passkeys.py): who may start them, a passkey as a
second step, removal with the password and a code."""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.mfa.conftest import enrol
from users.staff_session import CHECKED_KEY

pytestmark = pytest.mark.django_db

LOGIN, VERIFY, MANAGE = reverse("admin:login"), reverse("admin:two_step_verify"), reverse("admin:two_step_manage")
REGISTER_BEGIN = reverse("admin:passkey_register_begin")
AUTH_BEGIN = reverse("admin:passkey_auth_begin")


def passkey_for(user, name="Laptop"):
    return WebAuthnCredential.objects.create(
        user=user, name=name, confirmed=True, credential_id=b"id-" + name.encode(), public_key=b"key"
    )


def password_step(user):
    client = Client()
    client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    return client


def test_registration_starts_for_a_recent_check_only(admin_site_client):
    response = admin_site_client.post(REGISTER_BEGIN)
    assert response.status_code == 200
    assert response.json()["rp"]["name"] == "Event Manager"
    assert response.json()["rp"]["id"] == "testserver"

    session = admin_site_client.session
    session[CHECKED_KEY] = int(time.time()) - 11 * 60
    session.save()
    refused = admin_site_client.post(REGISTER_BEGIN)

    assert refused.status_code == 403 and refused.json()["code"] == "reauth_required"


def test_the_factor_page_offers_a_passkey_or_the_password_first(admin_site_client):
    page = admin_site_client.get(MANAGE).content.decode()
    assert 'id="passkey-register-button"' in page
    assert 'id="otp_webauthn_config" type="application/json"' in page
    assert "<script>" not in page  # nothing inline: the CSP would block it

    session = admin_site_client.session
    session[CHECKED_KEY] = int(time.time()) - 11 * 60
    session.save()
    stale = admin_site_client.get(MANAGE).content.decode()
    assert 'id="passkey-register-button"' not in stale
    assert reverse("admin:passkey_confirm") in stale


def test_a_passkey_is_a_second_factor_with_its_button_at_the_second_step(admin_user):
    passkey_for(admin_user)
    client = password_step(admin_user)

    page = client.get(VERIFY).content.decode()

    assert "Passkey" in page and 'id="passkey-verification-placeholder"' in page
    assert client.get(reverse("admin:users_user_changelist")).status_code == 302  # not staff yet
    begin = client.post(AUTH_BEGIN)
    assert begin.status_code == 200
    assert [c["id"] for c in begin.json()["allowCredentials"]]  # the user's own passkeys


def test_the_passkey_ceremony_is_only_for_a_session_owing_the_second_step(admin_site_client, admin_user):
    assert Client().post(AUTH_BEGIN).json()["code"] == "second_step_not_owed"
    assert admin_site_client.post(AUTH_BEGIN).json()["code"] == "second_step_not_owed"


def test_removing_a_passkey_needs_the_password_and_a_code(admin_user):
    _, codes = enrol(admin_user)
    passkey = passkey_for(admin_user)
    url = reverse("admin:passkey_remove", args=[passkey.pk])
    client = Client()
    client.post(LOGIN, {"username": admin_user.email, "password": PASSWORD})
    client.post(VERIFY, {"code": codes[0]})

    wrong = client.post(url, {"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 400 and WebAuthnCredential.objects.filter(pk=passkey.pk).exists()

    done = client.post(url, {"password": PASSWORD, "code": codes[1]})

    assert done.status_code == 302 and done.url == MANAGE
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert AuditEvent.objects.filter(action="mfa.passkey_removed", target_user=admin_user).exists()


def test_nobody_removes_someone_elses_passkey(admin_site_client, verified_user):
    passkey = passkey_for(verified_user)

    response = admin_site_client.post(
        reverse("admin:passkey_remove", args=[passkey.pk]), {"password": PASSWORD, "code": "x"}
    )

    assert response.status_code == 403
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_staff_owing_enrolment_may_start_with_a_passkey_members_may_not(admin_user, verified_user, settings):
    settings.STAFF_MFA_REQUIRED = True
    staff = password_step(admin_user)
    assert 'id="passkey-register-button"' in staff.get(reverse("admin:two_step_setup")).content.decode()
    assert staff.post(REGISTER_BEGIN).status_code == 200

    member = Client()
    member.force_login(verified_user)
    assert member.post(REGISTER_BEGIN).status_code == 403
