"""My account as pages (test client, real database): each form through the users and
notifications services, 4xx naming the field, sessions ended where the API ends them,
and a fixed number of queries per page."""

import pytest
from django.urls import reverse

from notifications.models import NotificationPreference
from tests.factories import PASSWORD, UserFactory
from users.models import User
from users.notices import ACCOUNT_LOCKED, PROFESSIONAL_GRANTED
from users.services import session_logout_all

ACCOUNT = reverse("portal:account")
PAGES = [
    "account",
    "account-email",
    "account-password",
    "account-settings",
    "account-notifications",
    "account-sessions",
    "account-close",
]


@pytest.fixture
def member(db):
    return UserFactory(first_name="Ada", time_zone="Europe/Paris")


@pytest.fixture
def as_member(client, member):
    response = client.post(reverse("portal:login"), {"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("name", PAGES)
def test_every_account_page_needs_a_login(client, db, name):
    response = client.get(reverse(f"portal:{name}"))
    assert response.status_code == 302 and response.url.startswith(f"{reverse('portal:login')}?next=")


@pytest.mark.parametrize("name", PAGES)
def test_every_account_page_costs_the_same_few_queries_and_stays_small(as_member, name, django_assert_num_queries):
    # session, user, unread count in the header; the preferences page reads its rows once more
    with django_assert_num_queries(4 if name == "account-notifications" else 3):
        page = as_member.get(reverse(f"portal:{name}"))
    assert page.status_code == 200
    assert len(page.content) < 30_000


def test_the_profile_is_saved_and_shows_the_photo(as_member, member):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "nickname": "ada_l",
        "bio": "Engines.",
        "profile_picture_url": "https://example.com/ada.png",
        "linkedin_profile_url": "https://linkedin.com/in/ada",
        "github_profile_url": "",
        "resume_url": "",
    }
    response = as_member.post(ACCOUNT, data)
    assert response.status_code == 302
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.last_name, fresh.nickname) == ("Lovelace", "ada_l")
    assert fresh.profile_picture_url == data["profile_picture_url"]
    page = as_member.get(ACCOUNT).content.decode()
    assert 'src="https://example.com/ada.png"' in page and "Your profile is saved." in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("profile_picture_url", "https://example.com/cv.pdf"),
        ("linkedin_profile_url", "javascript:alert(1)"),
        ("nickname", "no spaces"),
        ("nickname", ""),
    ],
)
def test_a_bad_profile_field_is_a_400_naming_it(as_member, member, field, value):
    data = {"nickname": member.nickname, field: value}
    response = as_member.post(ACCOUNT, data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()


def test_taken_nickname_is_a_400(as_member):
    other = UserFactory()
    response = as_member.post(ACCOUNT, {"nickname": other.nickname})
    assert response.status_code == 400 and 'id="id_nickname_error"' in response.content.decode()


def test_an_email_change_waits_for_its_link(as_member, member, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_member.post(reverse("portal:account-email"), {"email": "ada.new@example.com"}, follow=True)
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.email, fresh.pending_email) == (member.email, "ada.new@example.com")
    assert "ada.new@example.com" in response.content.decode()
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([member.email, "ada.new@example.com"])
    taken = as_member.post(reverse("portal:account-email"), {"email": UserFactory().email})
    assert taken.status_code == 400 and 'id="id_email_error"' in taken.content.decode()


def test_a_password_change_checks_the_old_one_and_logs_out_everywhere(as_member, member):
    url = reverse("portal:account-password")
    wrong = as_member.post(url, {"old_password": "Wrong*Pass1", "new_password": "Next*Pass42"})
    assert wrong.status_code == 400 and 'id="id_old_password_error"' in wrong.content.decode()
    weak = as_member.post(url, {"old_password": PASSWORD, "new_password": "abc"})
    assert weak.status_code == 400 and 'id="id_new_password_error"' in weak.content.decode()
    done = as_member.post(url, {"old_password": PASSWORD, "new_password": "Next*Pass42"})
    assert done.status_code == 302 and done.url == reverse("portal:login")
    assert as_member.get(ACCOUNT).status_code == 302
    assert User.objects.get(pk=member.pk).check_password("Next*Pass42")


def test_time_zone_and_directory_opt_in(as_member, member):
    url = reverse("portal:account-settings")
    page = as_member.get(url).content.decode()
    assert '<option value="Europe/Paris" selected>' in page
    response = as_member.post(url, {"time_zone": "America/New_York", "show_in_directory": "on"})
    assert response.status_code == 302
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.time_zone, fresh.show_in_directory) == ("America/New_York", True)
    bad = as_member.post(url, {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 400 and 'id="id_time_zone_error"' in bad.content.decode()


def test_preferences_are_the_apis_matrix_with_mandatory_kinds_locked(as_member, member):
    url = reverse("portal:account-notifications")
    page = as_member.get(url).content.decode()
    assert f'name="{PROFESSIONAL_GRANTED}:email"' in page
    assert f'name="{ACCOUNT_LOCKED}:email"' not in page  # locked: no field to send
    assert "disabled" in page and "Always on" in page
    # Everything unticked: the optional kinds' channels go off, the mandatory ones stay.
    response = as_member.post(url, {})
    assert response.status_code == 302
    row = NotificationPreference.objects.get(user=member, kind=PROFESSIONAL_GRANTED)
    assert (row.email, row.in_app) == (False, False)
    assert not NotificationPreference.objects.filter(kind=ACCOUNT_LOCKED).exists()
    ticked = as_member.post(url, {f"{PROFESSIONAL_GRANTED}:email": "on"})
    assert ticked.status_code == 302
    assert NotificationPreference.objects.get(user=member, kind=PROFESSIONAL_GRANTED).email is True


def test_log_out_everywhere_ends_this_session_and_the_api_tokens(as_member, member):
    version = member.token_version
    response = as_member.post(reverse("portal:account-sessions"))
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).token_version == version + 1
    assert as_member.get(ACCOUNT).status_code == 302


def test_a_session_ends_when_the_account_logs_out_everywhere_elsewhere(as_member, member):
    session_logout_all(user=member)  # e.g. POST /logout/all from the API
    response = as_member.get(ACCOUNT)
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))


def test_closing_needs_the_password(as_member, member):
    url = reverse("portal:account-close")
    wrong = as_member.post(url, {"password": "Wrong*Pass1"})
    assert wrong.status_code == 400 and 'id="id_password_error"' in wrong.content.decode()
    assert as_member.post(url, {}).status_code == 400
    done = as_member.post(url, {"password": PASSWORD})
    assert done.status_code == 302 and done.url == "/"
    fresh = User.objects.get(pk=member.pk)
    assert fresh.closed_at is not None and fresh.email.endswith("@closed.invalid")
    assert as_member.get(ACCOUNT).status_code == 302
