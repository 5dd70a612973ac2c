"""Second factors through the API (issue 16): /users/me/factors… — list, set up and
confirm an authenticator app, new recovery codes, remove the app or a passkey. Wrong
passwords and codes count toward the lockout as wrong logins do; every change is audited
and told; the list shows no secret. Users without a factor see no change (their contract
tests, in tests/users, are untouched)."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from mfa import passkeys, services
from mfa.models import RecoveryCode
from notifications.models import Notification

from ..factories import PASSWORD, UserFactory
from .conftest import totp_code

pytestmark = pytest.mark.django_db

FACTORS = "/users/me/factors"
TOTP = "/users/me/factors/totp"
CONFIRM = "/users/me/factors/totp/confirm"
CODES = "/users/me/factors/recovery-codes"
LOCKED = "Account locked due to too many failed login attempts."


def login(client, user, **extra):
    return client.post("/login", {"username": user.email, "password": PASSWORD, "grant_type": "password", **extra})


def passkey(user, name="Laptop"):
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=b"id-" + name.encode(),
        credential_id_sha256=name.ljust(64, "0"),
        public_key=b"key",
        sign_count=0,
    )


def pending(user):
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_the_whole_journey_enrol_login_regenerate_remove(
    client_for, api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(verified_user)
    assert client.get(FACTORS).json() == {
        "totp": {"enabled": False, "created_at": None, "last_used_at": None},
        "recovery_codes_left": 0,
        "passkeys": [],
    }

    started = client.post(TOTP)
    assert started.status_code == 200
    body = started.json()
    device = pending(verified_user)
    assert body["otpauth_uri"] == device.config_url and body["otpauth_uri"].startswith("otpauth://totp/")
    assert body["key"].replace(" ", "") in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg") and "style=" not in body["qr_svg"]
    assert "no-store" in started["Cache-Control"]  # the key: no cache may keep it
    assert client.post(TOTP).json()["key"] == body["key"]  # asked again: the same pending key

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(CONFIRM, {"password": PASSWORD, "code": totp_code(device, -1)}, format="json")
    assert confirmed.status_code == 201, confirmed.json()
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "no-store" in confirmed["Cache-Control"]  # shown once: no cache may keep them
    stored = set(RecoveryCode.objects.filter(device__user=verified_user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert AuditEvent.objects.filter(action="mfa.totp_added", target_user=verified_user).count() == 1
    assert "authenticator app was added" in Notification.objects.get(recipient=verified_user).body
    assert any("Two-factor sign-in changed" in m.subject for m in mailoutbox)

    listed = client.get(FACTORS).json()
    assert listed["totp"]["enabled"] and listed["totp"]["created_at"] and listed["recovery_codes_left"] == 10
    assert client.post(TOTP).status_code == 400  # already set up

    # The login now needs the code; the token made before keeps working (as in the admin).
    assert login(api_client, verified_user).json()["code"] == "otp_required"
    assert login(api_client, verified_user, otp=totp_code(device)).status_code == 200
    assert client.get("/users/me").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        regenerated = client.post(CODES, {"password": PASSWORD, "code": codes[0]}, format="json")
    assert regenerated.status_code == 200
    new_codes = regenerated.json()["recovery_codes"]
    assert "no-store" in regenerated["Cache-Control"]
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert login(api_client, verified_user, otp=codes[1]).status_code == 401  # the old ones are gone
    assert login(api_client, verified_user, otp=new_codes[1]).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        removed = client.delete(TOTP, {"password": PASSWORD, "code": new_codes[2]}, format="json")
    assert removed.status_code == 204
    assert not TOTPDevice.objects.filter(user=verified_user).exists()
    assert not RecoveryCode.objects.filter(device__user=verified_user).exists()
    assert login(api_client, verified_user).status_code == 200  # the password alone again
    actions = set(AuditEvent.objects.filter(target_user=verified_user).values_list("action", flat=True))
    assert {"mfa.totp_added", "mfa.recovery_codes_regenerated", "mfa.totp_removed"} <= actions
    assert Notification.objects.filter(recipient=verified_user, kind="mfa.factors_changed").count() == 3
    assert verified_user.__class__.objects.get(pk=verified_user.pk).failed_login_attempts == 0


def test_the_list_shows_no_secret(client_for, enrolled_member):
    passkey(enrolled_member)
    response = client_for(enrolled_member).get(FACTORS)
    text = response.content.decode()
    assert response.status_code == 200
    body = response.json()
    assert body["passkeys"] == [
        {
            "id": body["passkeys"][0]["id"],
            "name": "Laptop",
            "created_at": body["passkeys"][0]["created_at"],
            "last_used_at": None,
        }
    ]
    assert enrolled_member.device.key not in text and "otpauth" not in text
    assert not any(code in text for code in enrolled_member.codes)
    assert "public_key" not in text and "credential_id" not in text


def test_the_list_takes_a_fixed_number_of_queries(client_for, enrolled_member, django_assert_num_queries):
    client = client_for(enrolled_member)
    for name in ("One", "Two", "Three"):
        passkey(enrolled_member, name)
    # The token's user, the app, the count of codes, the passkeys: whatever the user has.
    with django_assert_num_queries(4):
        assert len(client.get(FACTORS).json()["passkeys"]) == 3


def test_every_change_takes_a_fixed_number_of_queries(client_for, verified_user, django_assert_num_queries):
    """Whatever the user has (the ten codes are one INSERT; a passkey is removed by id). The
    counts include the savepoints of the nested transactions, the audit row, the in-app
    notice and the outbox's email row; the content type of the audit row is cached first."""
    ContentType.objects.get_for_model(verified_user)
    client = client_for(verified_user)
    for name in ("One", "Two", "Three"):
        passkey(verified_user, name)
    with django_assert_num_queries(4):  # the token's user; is an app on; the pending app (made)
        assert client.post(TOTP).status_code == 200
    code = totp_code(pending(verified_user), -1)
    codes = passkeys.passkey_added(user=verified_user, device=WebAuthnCredential.objects.first())
    with django_assert_num_queries(26):
        confirm = {"password": PASSWORD, "code": code, "current_code": codes[0]}
        assert client.post(CONFIRM, confirm, format="json").status_code == 201
    with django_assert_num_queries(23):
        assert client.post(CODES, {"password": PASSWORD, "code": codes[1]}, format="json").status_code == 200
    with django_assert_num_queries(9):
        assert client.post(CODES, {"password": "Wrong*Pass1", "code": "x"}, format="json").status_code == 400
    codes = services._new_recovery_codes(verified_user)
    device = WebAuthnCredential.objects.first()
    with django_assert_num_queries(24):
        proof = {"password": PASSWORD, "code": codes[0]}
        assert client.delete(f"/users/me/factors/passkeys/{device.pk}", proof, format="json").status_code == 204
    with django_assert_num_queries(22):  # passkeys are left: the recovery codes stay
        assert client.delete(TOTP, {"password": PASSWORD, "code": codes[1]}, format="json").status_code == 204


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        (TOTP, "delete", {"password": "Wrong*Pass1", "code": "{code}"}, "password"),
        (TOTP, "delete", {"password": PASSWORD, "code": "000000"}, "code"),
        (CODES, "post", {"password": "Wrong*Pass1", "code": "{code}"}, "password"),
        (CODES, "post", {"password": PASSWORD, "code": "zzzzz-zzzzz"}, "code"),
    ],
)
def test_a_wrong_password_or_code_is_a_400_naming_it_and_counts(client_for, enrolled_member, path, method, body, field):
    body = {k: v.replace("{code}", totp_code(enrolled_member.device)) for k, v in body.items()}
    response = getattr(client_for(enrolled_member), method)(path, body, format="json")
    assert response.status_code == 400
    assert field in response.json() and response.json()["detail"]
    enrolled_member.refresh_from_db()
    assert enrolled_member.failed_login_attempts == 1
    assert TOTPDevice.objects.filter(user=enrolled_member, confirmed=True).exists()


def test_wrong_proofs_lock_the_account_as_wrong_logins_do(
    client_for, api_client, enrolled_member, settings, django_capture_on_commit_callbacks
):
    settings.MAX_LOGIN_ATTEMPTS = 3
    client = client_for(enrolled_member)
    assert client.delete(TOTP, {"password": "Wrong*Pass1", "code": "000000"}, format="json").status_code == 400
    assert login(api_client, enrolled_member, otp="000000").status_code == 401  # a wrong login: the same budget
    with django_capture_on_commit_callbacks(execute=True):
        locking = client.post(CODES, {"password": PASSWORD, "code": "000000"}, format="json")
    assert locking.status_code == 400 and "code" in locking.json()
    enrolled_member.refresh_from_db()
    assert enrolled_member.is_locked
    assert AuditEvent.objects.filter(action="user.locked_by_failed_logins", target_user=enrolled_member).exists()
    assert Notification.objects.filter(recipient=enrolled_member, kind="users.account_locked").exists()
    # The lock ended the sessions: the token is refused; the login says locked.
    assert client.get(FACTORS).status_code == 401
    locked = login(api_client, enrolled_member, otp=totp_code(enrolled_member.device))
    assert locked.status_code == 400 and locked.json()["detail"] == LOCKED
    assert TOTPDevice.objects.filter(user=enrolled_member, confirmed=True).exists()


def test_a_right_proof_gives_the_budget_back(client_for, enrolled_member):
    client = client_for(enrolled_member)
    client.post(CODES, {"password": "Wrong*Pass1", "code": "000000"}, format="json")
    assert (
        client.post(CODES, {"password": PASSWORD, "code": enrolled_member.codes[0]}, format="json").status_code == 200
    )
    enrolled_member.refresh_from_db()
    assert enrolled_member.failed_login_attempts == 0


def test_a_wrong_first_code_of_the_new_app_is_refused_but_not_counted(client_for, verified_user):
    client = client_for(verified_user)
    client.post(TOTP)
    response = client.post(CONFIRM, {"password": PASSWORD, "code": "000000"}, format="json")
    assert response.status_code == 400 and "code" in response.json()
    verified_user.refresh_from_db()
    assert verified_user.failed_login_attempts == 0
    wrong_password = client.post(CONFIRM, {"password": "Wrong*Pass1", "code": "000000"}, format="json")
    assert wrong_password.status_code == 400 and "password" in wrong_password.json()
    verified_user.refresh_from_db()
    assert verified_user.failed_login_attempts == 1
    assert not TOTPDevice.objects.filter(user=verified_user, confirmed=True).exists()


def test_beside_a_passkey_the_app_needs_a_current_code(client_for, verified_user):
    device = passkey(verified_user)
    client = client_for(verified_user)
    client.post(TOTP)
    code = totp_code(pending(verified_user), -1)
    refused = client.post(CONFIRM, {"password": PASSWORD, "code": code}, format="json")
    assert refused.status_code == 400 and "current_code" in refused.json()
    verified_user.refresh_from_db()
    assert verified_user.failed_login_attempts == 1
    # A passkey-only user's recovery codes came with the passkey (mfa.passkeys.passkey_added).
    codes = passkeys.passkey_added(user=verified_user, device=device)
    done = client.post(CONFIRM, {"password": PASSWORD, "code": code, "current_code": codes[0]}, format="json")
    assert done.status_code == 201 and done.json() == {"recovery_codes": []}  # the codes they have stay


def test_removing_a_passkey(client_for, enrolled_member, django_capture_on_commit_callbacks):
    device = passkey(enrolled_member)
    other = passkey(UserFactory(), "Theirs")
    client = client_for(enrolled_member)
    proof = {"password": PASSWORD, "code": enrolled_member.codes[0]}
    assert client.delete(f"/users/me/factors/passkeys/{other.pk}", proof, format="json").status_code == 404
    assert client.delete("/users/me/factors/passkeys/999999", proof, format="json").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.delete(f"/users/me/factors/passkeys/{device.pk}/", proof, format="json")
    assert removed.status_code == 204
    assert not WebAuthnCredential.objects.filter(pk=device.pk).exists()
    assert WebAuthnCredential.objects.filter(pk=other.pk).exists()
    assert AuditEvent.objects.filter(action="mfa.passkey_removed", target_user=enrolled_member).exists()
    assert TOTPDevice.objects.filter(user=enrolled_member, confirmed=True).exists()  # the app stays


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        (CONFIRM, "post", {"code": "123456"}, "password"),
        (CONFIRM, "post", {"password": PASSWORD}, "code"),
        (TOTP, "delete", {"password": PASSWORD}, "code"),
        (CODES, "post", {"code": "123456"}, "password"),
        (CODES, "post", {"password": PASSWORD, "code": "x" * 65}, "code"),
        (CODES, "post", {"password": ["a"], "code": "123456"}, "password"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_not_counted(client_for, enrolled_member, path, method, body, field):
    response = getattr(client_for(enrolled_member), method)(path, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    enrolled_member.refresh_from_db()
    assert enrolled_member.failed_login_attempts == 0


def test_nothing_to_remove_is_a_400_and_not_counted(client_for, verified_user):
    response = client_for(verified_user).delete(TOTP, {"password": PASSWORD, "code": "123456"}, format="json")
    assert response.status_code == 400 and "code" in response.json()
    response = client_for(verified_user).post(CODES, {"password": PASSWORD, "code": "123456"}, format="json")
    assert response.status_code == 400
    verified_user.refresh_from_db()
    assert verified_user.failed_login_attempts == 0


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_anonymous_callers_are_refused(api_client, method):
    assert getattr(api_client, method)(TOTP if method != "get" else FACTORS).status_code == 401


def test_writes_are_throttled_per_address_reads_are_not(client_for, enrolled_member, settings):
    settings.AUTH_THROTTLE_RATE = "2/min"
    settings.MAX_LOGIN_ATTEMPTS = 10
    client = client_for(enrolled_member)
    for _ in range(2):
        assert client.post(CODES, {"password": PASSWORD, "code": "000000"}, format="json").status_code == 400
    throttled = client.post(CODES, {"password": PASSWORD, "code": enrolled_member.codes[0]}, format="json")
    assert throttled.status_code == 429
    assert client.get(FACTORS).status_code == 200
    assert RecoveryCode.objects.filter(device__user=enrolled_member).count() == 10


def test_a_member_without_factors_sees_no_change(client_for, api_client, verified_user):
    """Listing and starting a setup change nothing: the login and /users/me answer as before."""
    client = client_for(verified_user)
    client.get(FACTORS)
    client.post(TOTP)
    assert login(api_client, verified_user).status_code == 200
    assert client.get("/users/me").status_code == 200
    assert not AuditEvent.objects.filter(target_user=verified_user, action__startswith="mfa.").exists()
    assert not re.search("two-factor", " ".join(Notification.objects.values_list("title", flat=True)), re.I)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server", ["wsgi", "asgi"])
def test_wrong_proofs_at_once_check_exactly_the_budget(settings, server):
    """Eight wrong passwords at once on one account: MAX_LOGIN_ATTEMPTS are checked (400
    naming the password), the rest find it locked, as at POST /login (PostgreSQL only)."""
    from tests.servers import SERVERS
    from users.authentication import access_token_for

    from .test_races import at_once

    settings.AUTH_THROTTLE_RATE = None
    settings.MAX_LOGIN_ATTEMPTS = 3
    user = UserFactory()
    token = str(access_token_for(user))
    answers = []

    def guess():
        client = SERVERS[server]()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.post(CODES, {"password": "Wrong*Pass1", "code": "000000"}, format="json")
        answers.append((response.status_code, "password" in response.json()))

    assert at_once(8, guess) == []
    user.refresh_from_db()
    assert user.is_locked and user.failed_login_attempts == 3
    assert answers.count((400, True)) == 3, answers  # the three checked; the others: locked or signed out
    assert all(status in (400, 401) for status, _ in answers)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_one_recovery_code_regenerates_once_at_once(settings):
    from tests.servers import SERVERS
    from users.authentication import access_token_for

    from .conftest import enrol
    from .test_races import at_once

    settings.AUTH_THROTTLE_RATE = None
    settings.MAX_LOGIN_ATTEMPTS = 10
    user = UserFactory()
    _device, codes = enrol(user)
    token = str(access_token_for(user))
    answers = []

    def regenerate():
        client = SERVERS["wsgi"]()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        answers.append(client.post(CODES, {"password": PASSWORD, "code": codes[0]}, format="json").status_code)

    assert at_once(2, regenerate) == []
    assert sorted(answers) == [200, 400]
