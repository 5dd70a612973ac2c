"""Joining and signing in as pages (test client, real database): sign up, the verification
link for browsers and API clients, resend, log in (unverified, locked, safe next), log out,
a forgotten password ending at the member login, one-click unsubscribe; 4xx naming the field
and a fixed number of queries per page."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.models import AuditEvent
from notifications.models import NotificationPreference
from notifications.services import notify
from notifications.unsubscribe import unsubscribe_token
from tests.factories import PASSWORD, UserFactory
from users.models import Role, User
from users.notices import ACCOUNT_LOCKED, PROFESSIONAL_GRANTED
from users.tokens import email_verification_token

SIGNUP, LOGIN, RESEND = reverse("portal:signup"), reverse("portal:login"), reverse("portal:verify-email-resend")
FORGOT = reverse("portal:password-forgot")
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
NEW = {"email": "new.member@example.com", "password": "Fresh*Start42", "nickname": "", "time_zone": "Europe/Paris"}
VERIFY_RE = re.escape(settings.SERVER_BASE_URL) + r"(/verify-email/[0-9a-f-]+/[^\s\"<]+)"
RESET_RE = re.escape(settings.SERVER_BASE_URL) + r"(/reset/[A-Za-z0-9_-]+/[0-9a-z]+-[0-9a-f]+/)"


@pytest.fixture(autouse=True)
def _no_lookup_delay(settings):
    settings.ACCOUNT_LOOKUP_MIN_SECONDS = 0


def link_in(mail, pattern):
    return re.search(pattern, mail.body).group(1)


# --- Sign up -----------------------------------------------------------------------------


def test_the_sign_up_page_shows_the_password_rules_before_submitting(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = client.get(SIGNUP)
    assert page.status_code == 200
    text = page.content.decode()
    assert "at least 8 characters" in text and 'aria-describedby="id_password_hint"' in text
    assert "data-propose-time-zone" in text
    assert len(page.content) < 30_000


def test_sign_up_then_check_your_email_then_the_link_then_log_in(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, NEW)
    assert response.status_code == 302 and response.url == reverse("portal:signup-done")
    user = User.objects.get(email=NEW["email"])
    assert (user.role, user.email_verified, user.time_zone) == (Role.ANONYMOUS, False, "Europe/Paris")
    assert user.nickname  # made up when left empty
    assert NEW["email"] in client.get(response.url).content.decode()

    [mail] = mailoutbox
    link = link_in(mail, VERIFY_RE)
    verified = client.get(link, **HTML)
    assert verified.status_code == 200
    assert "Your email address is verified" in verified.content.decode()
    again = client.get(link, **HTML)
    assert again.status_code == 200 and "already verified" in again.content.decode()

    logged_in = client.post(LOGIN, {"email": NEW["email"], "password": NEW["password"]})
    assert logged_in.status_code == 302
    assert client.get(reverse("portal:account")).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"password": "short"}, "password"),
        ({"nickname": "a b"}, "nickname"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_bad_sign_up_input_is_a_400_naming_the_field(client, db, change, field):
    response = client.post(SIGNUP, {**NEW, **change})
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert f'href="#id_{field}"' in response.content.decode()  # the error summary links to it
    assert not User.objects.filter(email=NEW["email"]).exists()


def test_signing_up_with_a_taken_address_says_so_as_the_api_does(client, db):
    UserFactory(email=NEW["email"])
    response = client.post(SIGNUP, NEW)
    assert response.status_code == 400 and "Email already exists." in response.content.decode()


# --- The verification link: a page for browsers, JSON for API clients --------------------


def test_api_clients_keep_the_contracts_json(client, db):
    user = UserFactory(unverified=True)
    path = f"/verify-email/{user.pk}/{email_verification_token.make_token(user)}"
    first = client.get(path, HTTP_ACCEPT="application/json")
    assert first.status_code == 200 and first.json() == {"message": "Email verified successfully"}
    assert client.get(path, HTTP_ACCEPT="application/json").status_code == 400


@pytest.mark.parametrize("link", ["/verify-email/{pk}/1-abc", "/verify-email/not-a-uuid/1-abc"])
def test_a_broken_link_shows_a_resend_form(client, db, link):
    user = UserFactory(unverified=True)
    response = client.get(link.format(pk=user.pk), **HTML)
    assert response.status_code == 400
    text = response.content.decode()
    assert "This link is not valid" in text and f'action="{RESEND}"' in text
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_resend_answers_the_same_whatever_the_address(client, db, mailoutbox, django_capture_on_commit_callbacks):
    unverified, verified = UserFactory(unverified=True), UserFactory()
    answers = set()
    for email in (unverified.email, verified.email, "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(RESEND, {"email": email}, follow=True)
        answers.add(re.search(r'<p class="message[^"]*">([^<]*)</p>', response.content.decode()).group(1))
    assert len(answers) == 1
    assert [mail.to for mail in mailoutbox] == [[unverified.email]]
    assert client.post(RESEND, {"email": ""}).status_code == 400


# --- Log in and out ------------------------------------------------------------------------


def test_the_login_page_costs_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(LOGIN).status_code == 200


def test_log_in_follows_a_safe_next_only(client, db):
    user = UserFactory()
    ok = client.post(LOGIN, {"email": user.email, "password": PASSWORD, "next": "/app/account/"})
    assert ok.status_code == 302 and ok.url == "/app/account/"
    client.post(reverse("portal:logout"))
    evil = client.post(LOGIN, {"email": user.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert evil.status_code == 302 and evil.url == "/"
    assert AuditEvent.objects.filter(target_user=user).count() == 0  # login audits nothing new here


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client, db):
    user = UserFactory()
    wrong = client.post(LOGIN, {"email": user.email, "password": "Wrong*Pass1"})
    unknown = client.post(LOGIN, {"email": "nobody@example.com", "password": "Wrong*Pass1"})
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "Incorrect email or password." in response.content.decode()
        assert "not verified yet" not in response.content.decode()
    assert 'action="/app/verify-email/resend/"' in wrong.content.decode()  # offered to everyone


def test_an_unverified_member_with_the_right_password_is_told_how_to_get_a_new_link(client, db):
    user = UserFactory(unverified=True)
    response = client.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    text = response.content.decode()
    assert "not verified yet" in text and f'value="{user.email}"' in text
    # The wrong password tells nothing more than for anyone else.
    wrong = client.post(LOGIN, {"email": user.email, "password": "Wrong*Pass1"})
    assert wrong.status_code == 401 and "not verified yet" not in wrong.content.decode()


def test_a_locked_account_is_told_why_and_the_way_back_in(client, db, settings):
    settings.MAX_LOGIN_ATTEMPTS = 2
    user = UserFactory()
    for _ in range(2):
        client.post(LOGIN, {"email": user.email, "password": "Wrong*Pass1"})
    response = client.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 423
    text = response.content.decode()
    assert "Account locked due to too many failed login attempts." in text
    assert f'href="{FORGOT}"' in text


def test_log_out_is_a_post(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("portal:logout")).status_code == 405
    assert client.post(reverse("portal:logout")).status_code == 302
    assert client.get(reverse("portal:account")).status_code == 302


@pytest.mark.parametrize("data", [{}, {"email": "a@example.com"}, {"password": "x"}])
def test_log_in_without_a_field_is_a_400_naming_it(client, db, data):
    response = client.post(LOGIN, data)
    assert response.status_code == 400
    missing = ({"email", "password"} - set(data)).pop()
    assert f'id="id_{missing}_error"' in response.content.decode()


# --- A forgotten password -----------------------------------------------------------------


def test_a_forgotten_password_ends_at_the_member_login(client, db, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(locked=True)
    for email in (user.email, "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(FORGOT, {"email": email})
        assert response.status_code == 302 and response.url == reverse("portal:password-forgot-sent")
    [mail] = mailoutbox
    form = client.get(link_in(mail, RESET_RE), follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    weak = client.post(form.redirect_chain[-1][0], {"new_password1": "abc", "new_password2": "abc"})
    assert weak.status_code == 200 and 'id="id_new_password2_error"' in weak.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Brand*New42", "new_password2": "Brand*New42"})
    assert done.status_code == 302
    complete = client.get(done.url)
    assert f'href="{LOGIN}"' in complete.content.decode()
    assert client.post(LOGIN, {"email": user.email, "password": "Brand*New42"}).status_code == 302  # unlocked


def test_a_used_reset_link_says_it_is_invalid(client, db):
    user = UserFactory()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    user.set_password("Changed*Since1")
    user.save()
    page = client.get(f"/reset/{uid}/{token}/", follow=True)
    assert "This link is invalid" in page.content.decode() and f'href="{FORGOT}"' in page.content.decode()


# --- One-click unsubscribe -----------------------------------------------------------------


def test_emails_a_member_may_turn_off_carry_rfc_8058_headers(db, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=user, kind=PROFESSIONAL_GRANTED, context={})
        notify(recipient=user, kind=ACCOUNT_LOCKED, context={"attempts": 3, "cooloff_minutes": 15})
    by_subject = {mail.subject: mail for mail in mailoutbox}
    optional = next(mail for subject, mail in by_subject.items() if "professional" in subject.lower())
    mandatory = next(mail for subject, mail in by_subject.items() if "locked" in subject.lower())
    header = optional.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(rf"<{re.escape(settings.SERVER_BASE_URL)}/app/unsubscribe/[\w:-]+/>", header)
    assert optional.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe" not in mandatory.extra_headers
    assert "/app/account/notifications/" in optional.body


def test_unsubscribe_get_asks_and_post_turns_that_kinds_email_off_without_a_login(client, db):
    user = UserFactory()
    url = reverse("portal:unsubscribe", kwargs={"token": unsubscribe_token(user_id=user.pk, kind=PROFESSIONAL_GRANTED)})
    page = client.get(url)
    assert page.status_code == 200 and "<button" in page.content.decode()
    assert not NotificationPreference.objects.exists()  # a link scanner's GET changes nothing

    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    row = NotificationPreference.objects.get(user=user, kind=PROFESSIONAL_GRANTED)
    assert row.email is False and row.in_app is True


@pytest.mark.parametrize("kind", [PROFESSIONAL_GRANTED, ACCOUNT_LOCKED, "no.such_kind"])
def test_a_forged_or_mandatory_unsubscribe_token_is_a_400(client, db, kind):
    user = UserFactory()
    token = unsubscribe_token(user_id=user.pk, kind=kind)
    if kind == PROFESSIONAL_GRANTED:
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(reverse("portal:unsubscribe", kwargs={"token": token})).status_code == 400
    assert not NotificationPreference.objects.exists()


def test_the_admins_view_site_link_goes_to_the_member_home(client, db):
    client.force_login(UserFactory(admin=True))
    page = client.get("/admin/").content.decode()
    assert re.search(r'<a href="/">View site</a>', page)
