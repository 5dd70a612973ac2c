"""Password reset (API and Django's pages), verification resend, the verification link page:
no enumeration, single use, expiry."""

import re
import statistics
import time
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client

from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from users.models import User
from users.tokens import email_verification_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand*New5678"
RESET_RE = re.escape(settings.SERVER_BASE_URL) + r"/reset/([A-Za-z0-9_-]+)/([0-9a-z]+-[0-9a-f]+)/"


def ask_reset(api_client, capture, email, path="/password-reset"):
    with capture(execute=True):
        return api_client.post(path, {"email": email}, format="json")


def reset_link(mailoutbox):
    [mail] = mailoutbox
    return re.search(RESET_RE, mail.body).groups()


@pytest.mark.parametrize("path", ["/password-reset", "/password-reset/"])
def test_reset_answers_the_same_for_known_and_unknown_addresses(
    api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks, path
):
    known = ask_reset(api_client, django_capture_on_commit_callbacks, verified_user.email.upper(), path)
    unknown = ask_reset(api_client, django_capture_on_commit_callbacks, "nobody@example.com", path)

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [mail.to for mail in mailoutbox] == [[verified_user.email]]


@pytest.mark.parametrize("path", ["/password-reset", "/verify-email/resend"])
def test_known_and_unknown_addresses_take_the_same_time(api_client, unverified_user, settings, path):
    """Within 30 %: the answer waits for ACCOUNT_LOOKUP_MIN_SECONDS whatever happened."""
    settings.ACCOUNT_LOOKUP_MIN_SECONDS = 0.12
    settings.AUTH_THROTTLE_RATE = None

    def timed(email):
        started = time.perf_counter()
        assert api_client.post(path, {"email": email}, format="json").status_code == 202
        return time.perf_counter() - started

    known = statistics.median(timed(unverified_user.email) for _ in range(5))
    unknown = statistics.median(timed("nobody@example.com") for _ in range(5))
    assert abs(known - unknown) <= 0.3 * min(known, unknown), (known, unknown)


def test_the_reset_link_sets_the_password_unlocks_and_ends_sessions(
    api_client, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(locked=True)
    session = client_for(user)
    ask_reset(api_client, django_capture_on_commit_callbacks, user.email)
    uid, token = reset_link(mailoutbox)

    response = api_client.post(
        "/password-reset/confirm", {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.is_locked, fresh.failed_login_attempts) == (False, 0)
    assert fresh.check_password(NEW_PASSWORD)
    assert session.get("/users/me").status_code == 401
    assert api_client.post("/login/", {"username": user.email, "password": NEW_PASSWORD}).status_code == 200
    assert AuditEvent.objects.get(action="user.password_reset").changes == {"is_locked": [True, False]}
    # Single use: the token hashed the old password.
    again = api_client.post(
        "/password-reset/confirm", {"uid": uid, "token": token, "new_password": "Other*Pass9012"}, format="json"
    )
    assert again.status_code == 400
    assert "token" in again.json()


def test_a_completed_reset_tells_the_owner(api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks):
    """ASVS 6.3.7: a reset the owner did not ask for is news to them (email and in-app)."""
    from notifications.models import Notification

    ask_reset(api_client, django_capture_on_commit_callbacks, verified_user.email)
    uid, token = reset_link(mailoutbox)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/password-reset/confirm", {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
        )
    assert response.status_code == 200
    [email] = mailoutbox
    assert email.to == [verified_user.email] and "password was changed" in email.subject
    assert NEW_PASSWORD not in email.body and token not in email.body
    assert Notification.objects.filter(recipient=verified_user, kind="users.password_changed").count() == 1


def test_an_expired_reset_link_is_refused(api_client, verified_user, monkeypatch, settings):
    settings.PASSWORD_RESET_TIMEOUT = 60
    token = default_token_generator.make_token(verified_user)
    later = datetime.now() + timedelta(seconds=61)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(verified_user.pk))
    response = api_client.post(
        "/password-reset/confirm", {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert User.objects.get(pk=verified_user.pk).check_password(PASSWORD)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"uid": "!!", "token": "x-y", "new_password": NEW_PASSWORD}, "token"),
        ({"uid": "abc"}, "token"),
    ],
)
def test_bad_confirm_requests_name_the_field(api_client, body, field):
    response = api_client.post("/password-reset/confirm", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_weak_new_password_is_refused_and_the_link_still_works(
    api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    ask_reset(api_client, django_capture_on_commit_callbacks, verified_user.email)
    uid, token = reset_link(mailoutbox)
    weak = api_client.post(
        "/password-reset/confirm", {"uid": uid, "token": token, "new_password": "abc"}, format="json"
    )
    assert weak.status_code == 400
    assert "new_password" in weak.json()
    good = api_client.post(
        "/password-reset/confirm", {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert good.status_code == 200


# --- Django's pages: the admin login's "Forgot your password?" ---------------------------


def test_admin_login_offers_a_reset_that_uses_the_same_rules(mailoutbox, django_capture_on_commit_callbacks):
    staff = UserFactory(manager=True, locked=True)
    client = Client()
    login_page = client.get("/admin/login/")
    assert 'href="/admin/password_reset/"' in login_page.text  # Django's "Forgotten your password…?" link

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/password_reset/", {"email": staff.email})
    assert response.status_code == 302
    uid, token = reset_link(mailoutbox)

    form = client.get(f"/reset/{uid}/{token}/", follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url.endswith("/reset/done/")
    fresh = User.objects.get(pk=staff.pk)
    assert fresh.check_password(NEW_PASSWORD) and not fresh.is_locked
    assert AuditEvent.objects.filter(action="user.password_reset", target_user=staff).count() == 1
    # The link is used up.
    assert "invalid" in Client().get(f"/reset/{uid}/{token}/", follow=True).text.lower()
    assert client.post("/admin/login/", {"username": staff.email, "password": NEW_PASSWORD}).status_code == 302


def test_the_admin_reset_form_says_nothing_about_unknown_addresses(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/admin/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mailoutbox == []


# --- Verification: resend and the link page ------------------------------------------------


@pytest.mark.parametrize("path", ["/verify-email/resend", "/verify-email/resend/"])
def test_resend_sends_only_to_an_unverified_account_and_always_answers_202(
    api_client, unverified_user, verified_user, mailoutbox, django_capture_on_commit_callbacks, path
):
    bodies = set()
    for email in (unverified_user.email, verified_user.email, "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(path, {"email": email}, format="json")
        assert response.status_code == 202
        bodies.add(str(response.json()))
    assert len(bodies) == 1
    assert [mail.to for mail in mailoutbox] == [[unverified_user.email]]


def test_resend_is_throttled(api_client, settings):
    settings.AUTH_THROTTLE_RATE = "2/min"
    settings.ACCOUNT_LOOKUP_MIN_SECONDS = 0
    statuses = [
        api_client.post("/verify-email/resend", {"email": "x@example.com"}, format="json").status_code for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_gets_a_page_and_a_second_click_says_already_verified(api_client, unverified_user):
    token = email_verification_token.make_token(unverified_user)
    path = f"/verify-email/{unverified_user.pk}/{token}"

    first = api_client.get(path, **HTML)
    assert first.status_code == 200
    assert first["Content-Type"].startswith("text/html")
    assert "Your email address is verified" in first.content.decode()

    second = api_client.get(path, **HTML)  # the member pages' answer: 200, not an error
    assert second.status_code == 200
    assert "already verified" in second.content.decode()
    api = api_client.get(path)
    assert api.status_code == 400
    assert api.json()["detail"] == "Email already verified: this link was already used."


def test_an_expired_link_says_so(api_client, unverified_user, monkeypatch, settings):
    token = email_verification_token.make_token(unverified_user)
    later = datetime.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT + 5)
    monkeypatch.setattr(email_verification_token, "_now", lambda: later)
    path = f"/verify-email/{unverified_user.pk}/{token}"

    page = api_client.get(path, **HTML)
    assert page.status_code == 400
    assert "This link has expired" in page.content.decode()
    assert 'action="/app/verify-email/resend/"' in page.content.decode()  # a form for a new link
    assert "expired" in api_client.get(path).json()["detail"]
    assert User.objects.get(pk=unverified_user.pk).email_verified is False


def test_a_wrong_token_keeps_the_contract_answer(api_client, unverified_user):
    response = api_client.get(f"/verify-email/{unverified_user.pk}/abc-123")
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid or expired verification link."


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, "http://localhost:8123"), ({"SERVER_BASE_URL": "https://x.example"}, "https://x.example")],
)
def test_make_run_with_a_port_links_emails_to_that_port(environment, expected):
    """`make run PORT=…` exports SERVER_BASE_URL to match, unless it is set: every $(MANAGE)
    line and the process manager (honcho, which starts the server, worker and beat) print it here."""
    import os
    import subprocess
    from pathlib import Path

    env = {key: value for key, value in os.environ.items() if key != "SERVER_BASE_URL"} | environment
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "run",
            "PORT=8123",
            "MANAGE=printenv SERVER_BASE_URL; true",
            "HONCHO=printenv SERVER_BASE_URL; true",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    printed = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("http")]
    assert len(printed) >= 3 and set(printed) == {expected}, result.stdout
