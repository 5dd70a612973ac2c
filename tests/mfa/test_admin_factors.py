"""Enrolment and removal in the admin (issue 16, items 1 and 5): the authenticator app with
a QR code and its key, recovery codes shown once; every change needs the password and a
code, writes an audit row and sends the mandatory notice; an ADMIN resets another user's
factors (audited, emailed, sessions ended)."""

import re
from base64 import b32encode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from mfa.models import RecoveryCode
from notifications.models import Notification
from users import services
from users.models import RefreshSession

from ..factories import PASSWORD, UserFactory
from .conftest import enrol, totp_code

pytestmark = pytest.mark.django_db

LOGIN, INDEX = reverse("admin:login"), reverse("admin:index")
VERIFY, SETUP = reverse("admin:two_step_verify"), reverse("admin:two_step_setup")
MANAGE = reverse("admin:two_step_manage")
CHANGELIST = reverse("admin:users_user_changelist")
CODE_RE = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


def signed_in(user) -> Client:
    client = Client()
    client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    return client


def pending_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_forced_enrolment_shows_the_qr_code_and_key_then_opens_the_admin(
    admin_user, required, mailoutbox, django_capture_on_commit_callbacks
):
    client = signed_in(admin_user)
    page = client.get(SETUP)
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    assert (
        '<svg width="' in html and 'class="mfa-qr"' in html and "style=" not in html.split("<svg")[1].split("</svg>")[0]
    )
    device = pending_device(admin_user)
    key = b32encode(device.bin_key).decode()
    assert " ".join(key[i : i + 4] for i in range(0, len(key), 4)) in html

    wrong_password = client.post(SETUP, {"password": "nope", "code": totp_code(device)})
    assert wrong_password.status_code == 400
    assert "The password is not correct." in wrong_password.content.decode()
    wrong_code = client.post(SETUP, {"password": PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 400
    assert "The code is not correct" in wrong_code.content.decode()
    assert client.get(CHANGELIST).status_code == 302  # still owes enrolment

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(SETUP, {"password": PASSWORD, "code": totp_code(device)})
    assert done.status_code == 200
    codes = CODE_RE.findall(done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(device__user=admin_user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)  # hashes only
    assert client.get(CHANGELIST).status_code == 200  # the enrolment verified this session

    assert AuditEvent.objects.filter(action="mfa.totp_added", target_user=admin_user).count() == 1
    notice = Notification.objects.get(recipient=admin_user, kind="mfa.factors_changed")
    assert "authenticator app was added" in notice.body
    assert any("Two-factor sign-in changed" in m.subject for m in mailoutbox)

    # Shown once: the factor page tells how many are left, never the codes.
    manage = client.get(MANAGE).content.decode()
    assert "Recovery codes left: 10" in manage and not CODE_RE.search(manage)


def test_a_member_of_staff_may_enrol_when_not_required(manager_user):
    client = signed_in(manager_user)
    assert client.get(CHANGELIST).status_code == 200
    client.get(SETUP)
    device = pending_device(manager_user)
    assert client.post(SETUP, {"password": PASSWORD, "code": totp_code(device)}).status_code == 200
    assert TOTPDevice.objects.get(user=manager_user).confirmed


def test_removal_needs_the_password_and_a_current_code(enrolled_admin, mailoutbox):
    client = signed_in(enrolled_admin)
    client.post(VERIFY, {"code": totp_code(enrolled_admin.device)})
    assert client.get(MANAGE).status_code == 200

    refused = client.post(MANAGE, {"action": "remove", "remove-password": PASSWORD, "remove-code": "000000"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=enrolled_admin).exists()
    refused = client.post(MANAGE, {"action": "remove", "remove-password": "x", "remove-code": enrolled_admin.codes[0]})
    assert refused.status_code == 400 and "The password is not correct." in refused.content.decode()

    removed = client.post(
        MANAGE, {"action": "remove", "remove-password": PASSWORD, "remove-code": enrolled_admin.codes[1]}
    )
    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled_admin).exists()
    assert not RecoveryCode.objects.filter(device__user=enrolled_admin).exists()  # no factor left: codes go too
    assert AuditEvent.objects.filter(action="mfa.totp_removed", target_user=enrolled_admin).exists()
    assert Notification.objects.filter(recipient=enrolled_admin, kind="mfa.factors_changed").count() == 2


def test_new_recovery_codes_replace_the_old_ones(enrolled_admin):
    client = signed_in(enrolled_admin)
    client.post(VERIFY, {"code": totp_code(enrolled_admin.device)})
    response = client.post(
        MANAGE,
        {"action": "regenerate", "regenerate-password": PASSWORD, "regenerate-code": enrolled_admin.codes[0]},
    )
    new_codes = CODE_RE.findall(response.content.decode())
    assert response.status_code == 200 and len(new_codes) == 10
    assert AuditEvent.objects.filter(action="mfa.recovery_codes_regenerated", target_user=enrolled_admin).exists()

    old, new = Client(), Client()
    for client in (old, new):
        client.post(LOGIN, {"username": enrolled_admin.email, "password": PASSWORD})
    assert old.post(VERIFY, {"code": enrolled_admin.codes[5]}).status_code == 400
    assert new.post(VERIFY, {"code": new_codes[5]}).status_code == 302


def test_an_admin_resets_another_users_factors(
    enrolled_admin, mailoutbox, api_client, django_capture_on_commit_callbacks
):
    target = UserFactory(manager=True)
    device, _ = enrol(target)
    target_admin = Client()
    target_admin.post(LOGIN, {"username": target.email, "password": PASSWORD})
    target_admin.post(VERIFY, {"code": totp_code(device)})
    assert target_admin.get(CHANGELIST).status_code == 200
    tokens = services.session_start(user=target)

    admin = signed_in(enrolled_admin)
    admin.post(VERIFY, {"code": totp_code(enrolled_admin.device)})
    reset_url = reverse("admin:two_step_reset", args=[target.pk])
    user_page = admin.get(reverse("admin:users_user_change", args=[target.pk])).content.decode()
    assert f'href="{reset_url}"' in user_page  # "Reset second factors" beside History
    confirm = admin.get(reset_url)
    assert confirm.status_code == 200 and target.email in confirm.content.decode()

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(reset_url)

    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not RecoveryCode.objects.filter(device__user=target).exists()
    event = AuditEvent.objects.get(action="mfa.factors_reset", target_user=target)
    assert event.actor == enrolled_admin
    assert [m.to for m in mailoutbox] == [[target.email]]
    assert "reset your second factors" in mailoutbox[0].body
    # every session ended: the admin session, the API session and its access token
    assert target_admin.get(CHANGELIST).status_code == 302
    assert not RefreshSession.objects.filter(user=target, revoked_at__isnull=True).exists()
    refresh = api_client.post("/token/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401
    me = api_client.get("/users/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert me.status_code == 401


def test_a_manager_may_not_reset_factors(manager_user, enrolled_admin):
    client = signed_in(manager_user)
    reset_url = reverse("admin:two_step_reset", args=[enrolled_admin.pk])
    member_page = client.get(reverse("admin:users_user_change", args=[UserFactory().pk])).content.decode()
    assert "Reset second factors" not in member_page
    assert client.get(reset_url).status_code == 403
    assert client.post(reset_url).status_code == 403
    assert TOTPDevice.objects.filter(user=enrolled_admin).exists()
