"""Sudo mode (issue 16, item 6): making someone ADMIN and deleting users ask for the
password again once the last check is older than ADMIN_REAUTH_MINUTES; the page
returns to the action. The stored check time is moved back instead of waiting."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.mfa.conftest import enrol, totp_code
from users.models import Role, User
from users.staff_session import CHECKED_KEY

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:users_user_changelist")
LOGIN, VERIFY = reverse("admin:login"), reverse("admin:two_step_verify")
REAUTH_TITLE = "Confirm it is you"


def checked_ago(client, seconds):
    session = client.session
    session[CHECKED_KEY] = int(time.time()) - seconds
    session.save()


@pytest.fixture
def stale(admin_site_client, settings):
    """The admin's last password check is 11 minutes old (the limit: 10)."""
    settings.ADMIN_REAUTH_MINUTES = 10
    checked_ago(admin_site_client, 11 * 60)
    return admin_site_client


@pytest.fixture
def member(db):
    return UserFactory(role=Role.AUTHENTICATED, email_verified=True)


def hidden_fields(response):
    """What the re-authentication page posts back (its hidden inputs), as the browser would."""
    form = response.context["carried"]
    data = {}
    for name, value in form:
        data.setdefault(name, []).append(value)
    return data


def make_admin(client, user, **extra):
    return client.post(CHANGELIST, {"action": "set_role_admin", "_selected_action": [user.pk], **extra})


def test_a_recent_login_needs_no_second_password(admin_site_client, member):
    response = make_admin(admin_site_client, member)

    assert "Make these users admins?" in response.content.decode()


def test_making_an_admin_asks_for_the_password_then_returns_to_the_confirmation(stale, member):
    response = make_admin(stale, member)
    assert response.status_code == 200
    assert REAUTH_TITLE in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    member.refresh_from_db()
    assert member.role == Role.AUTHENTICATED

    back = stale.post(CHANGELIST, {**hidden_fields(response), "sudo_password": PASSWORD})

    assert "Make these users admins?" in back.content.decode()
    stale.post(CHANGELIST, {"action": "set_role_admin", "_selected_action": [member.pk], "confirm": "yes"})
    member.refresh_from_db()
    assert member.role == Role.ADMIN


def test_a_stale_confirmation_goes_through_once_the_password_is_given(stale, member):
    response = make_admin(stale, member, confirm="yes")
    assert REAUTH_TITLE in response.content.decode()

    stale.post(CHANGELIST, {**hidden_fields(response), "sudo_password": PASSWORD})

    member.refresh_from_db()
    assert member.role == Role.ADMIN


def test_a_wrong_password_is_refused_on_its_field_and_counts_toward_the_lockout(stale, member, admin_user):
    response = make_admin(stale, member, confirm="yes")

    again = stale.post(CHANGELIST, {**hidden_fields(response), "sudo_password": "not-my-password"})

    page = again.content.decode()
    assert REAUTH_TITLE in page and "That is not your password." in page
    assert 'aria-describedby="id_sudo_password_error"' in page
    member.refresh_from_db()
    assert member.role == Role.AUTHENTICATED
    admin_user.refresh_from_db()
    assert admin_user.failed_login_attempts == 1


def test_the_check_lasts_reauth_minutes(stale, member, settings):
    response = make_admin(stale, member)
    stale.post(CHANGELIST, {**hidden_fields(response), "sudo_password": PASSWORD})

    other = UserFactory(role=Role.AUTHENTICATED, email_verified=True)
    assert "Make these users admins?" in make_admin(stale, other).content.decode()
    checked_ago(stale, 10 * 60 + 1)
    assert REAUTH_TITLE in make_admin(stale, other).content.decode()


def test_deleting_selected_users_asks_first(stale, member):
    response = stale.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [member.pk]})
    assert REAUTH_TITLE in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()

    confirm = stale.post(CHANGELIST, {**hidden_fields(response), "sudo_password": PASSWORD})
    assert "Delete multiple objects" in confirm.content.decode()

    stale.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"})
    assert not User.objects.filter(pk=member.pk).exists()


def test_the_delete_page_asks_first_and_then_shows_its_confirmation(stale, member):
    url = reverse("admin:users_user_delete", args=[member.pk])
    response = stale.get(url)
    assert REAUTH_TITLE in response.content.decode()

    back = stale.post(url, {"sudo_password": PASSWORD})
    assert back.status_code == 302 and back.url == url
    assert User.objects.filter(pk=member.pk).exists()

    assert "<title>Delete |" in stale.get(url).content.decode()
    stale.post(url, {"post": "yes"})
    assert not User.objects.filter(pk=member.pk).exists()


def test_a_stale_delete_confirmation_deletes_once_the_password_is_given(stale, member):
    url = reverse("admin:users_user_delete", args=[member.pk])
    response = stale.post(url, {"post": "yes"})
    assert REAUTH_TITLE in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()

    stale.post(url, {**hidden_fields(response), "sudo_password": PASSWORD})

    assert not User.objects.filter(pk=member.pk).exists()


def test_setting_the_role_admin_in_the_change_form_asks_first(stale, member):
    from tests.users.test_admin import change_form_data

    url = reverse("admin:users_user_change", args=[member.pk])
    response = stale.post(url, change_form_data(member, role=Role.ADMIN))
    assert REAUTH_TITLE in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.AUTHENTICATED

    stale.post(url, {**hidden_fields(response), "sudo_password": PASSWORD})

    member.refresh_from_db()
    assert member.role == Role.ADMIN


def test_other_edits_and_actions_do_not_ask(stale, member):
    from tests.users.test_admin import change_form_data

    url = reverse("admin:users_user_change", args=[member.pk])
    stale.post(url, change_form_data(member, first_name="Ann"))
    stale.post(CHANGELIST, {"action": "lock_users", "_selected_action": [member.pk]})

    member.refresh_from_db()
    assert member.first_name == "Ann" and member.is_locked


def test_managers_deleting_members_are_asked_too(manager_site_client, member, settings):
    settings.ADMIN_REAUTH_MINUTES = 10
    checked_ago(manager_site_client, 11 * 60)

    response = manager_site_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [member.pk]})

    assert REAUTH_TITLE in response.content.decode()


@pytest.fixture
def enrolled_admin(admin_user):
    admin_user.device, admin_user.codes = enrol(admin_user)
    return admin_user


@pytest.fixture
def stale_with_factor(enrolled_admin, settings):
    """An ADMIN with an authenticator app, signed in with both steps 11 minutes ago."""
    settings.ADMIN_REAUTH_MINUTES = 10
    client = Client()
    client.post(LOGIN, {"username": enrolled_admin.email, "password": PASSWORD})
    client.post(VERIFY, {"code": totp_code(enrolled_admin.device)})
    assert client.get(CHANGELIST).status_code == 200
    checked_ago(client, 11 * 60)
    return client


def test_with_a_factor_the_password_alone_is_not_enough(stale_with_factor, enrolled_admin, member):
    response = make_admin(stale_with_factor, member, confirm="yes")
    assert 'name="sudo_code"' in response.content.decode()

    again = stale_with_factor.post(CHANGELIST, {**hidden_fields(response), "sudo_password": PASSWORD})
    assert "Enter a code from your authenticator app" in again.content.decode()
    wrong = stale_with_factor.post(
        CHANGELIST, {**hidden_fields(response), "sudo_password": PASSWORD, "sudo_code": "000000"}
    )
    assert "That code is not valid" in wrong.content.decode()
    member.refresh_from_db()
    assert member.role == Role.AUTHENTICATED
    enrolled_admin.refresh_from_db()
    assert enrolled_admin.failed_login_attempts == 1  # the wrong code counted as a wrong login would

    stale_with_factor.post(
        CHANGELIST,
        {**hidden_fields(response), "sudo_password": PASSWORD, "sudo_code": totp_code(enrolled_admin.device, 1)},
    )

    member.refresh_from_db()
    assert member.role == Role.ADMIN


def test_a_recovery_code_does_too_once(stale_with_factor, enrolled_admin, member):
    response = make_admin(stale_with_factor, member, confirm="yes")
    data = {**hidden_fields(response), "sudo_password": PASSWORD, "sudo_code": enrolled_admin.codes[0]}

    stale_with_factor.post(CHANGELIST, data)

    member.refresh_from_db()
    assert member.role == Role.ADMIN
    other = UserFactory(role=Role.AUTHENTICATED, email_verified=True)
    checked_ago(stale_with_factor, 11 * 60)
    response = make_admin(stale_with_factor, other, confirm="yes")
    again = stale_with_factor.post(
        CHANGELIST, {**hidden_fields(response), **{k: data[k] for k in ("sudo_password", "sudo_code")}}
    )
    assert "That code is not valid" in again.content.decode()


def test_resetting_another_users_factors_asks_first(stale, verified_user):
    verified_user.device, _ = enrol(verified_user)
    url = reverse("admin:two_step_reset", args=[verified_user.pk])
    response = stale.get(url)
    assert REAUTH_TITLE in response.content.decode()
    assert "reset the second factors of" in response.content.decode()

    back = stale.post(url, {"sudo_password": PASSWORD})
    assert back.status_code == 302 and back.url == url
    assert "Reset every second factor" in stale.get(url).content.decode()


def test_a_stale_reset_confirmation_resets_once_the_password_is_given(stale, verified_user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    enrol(verified_user)
    url = reverse("admin:two_step_reset", args=[verified_user.pk])
    response = stale.post(url)
    assert REAUTH_TITLE in response.content.decode()
    assert TOTPDevice.objects.filter(user=verified_user).exists()

    stale.post(url, {**hidden_fields(response), "sudo_password": PASSWORD})

    assert not TOTPDevice.objects.filter(user=verified_user).exists()
