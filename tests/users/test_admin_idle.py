"""Admin sessions of staff end after ADMIN_SESSION_IDLE_MINUTES without a request
(issue 16, item 6). The stored last-activity stamp is moved back instead of sleeping."""

import time

import pytest
from django.urls import reverse

from users.staff_session import ACTIVITY_KEY

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:users_user_changelist")
LOGIN = reverse("admin:login")


def idle_for(client, seconds):
    """Pretend the session's last admin request was `seconds` ago."""
    session = client.session
    session[ACTIVITY_KEY] = int(time.time()) - seconds
    session.save()


@pytest.fixture
def idle_limit(settings):
    settings.ADMIN_SESSION_IDLE_MINUTES = 30
    return 30 * 60


@pytest.mark.parametrize("site_client", ["admin_site_client", "manager_site_client"])
def test_an_idle_staff_session_ends_and_the_login_returns_to_the_page(request, site_client, idle_limit):
    client = request.getfixturevalue(site_client)
    assert client.get(CHANGELIST).status_code == 200
    idle_for(client, idle_limit + 1)

    response = client.get(CHANGELIST + "?role=ADMIN")

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert "next=/admin/users/user/%3Frole%3DADMIN" in response.url
    assert "_auth_user_id" not in client.session
    page = client.get(response.url)
    assert "after 30 minutes without activity" in page.content.decode()
    assert client.get(CHANGELIST).status_code == 302  # stays logged out


def test_a_session_used_within_the_limit_stays_and_its_clock_restarts(admin_site_client, idle_limit):
    idle_for(admin_site_client, idle_limit - 60)

    assert admin_site_client.get(CHANGELIST).status_code == 200

    assert time.time() - admin_site_client.session[ACTIVITY_KEY] < 5
    idle_for(admin_site_client, idle_limit - 60)
    assert admin_site_client.get(CHANGELIST).status_code == 200


def test_the_limit_comes_from_the_setting(admin_site_client, settings):
    settings.ADMIN_SESSION_IDLE_MINUTES = 5
    idle_for(admin_site_client, 5 * 60 + 1)

    assert admin_site_client.get(CHANGELIST).status_code == 302


def test_a_post_after_the_limit_changes_nothing(admin_site_client, verified_user, idle_limit):
    idle_for(admin_site_client, idle_limit + 1)

    response = admin_site_client.post(CHANGELIST, {"action": "lock_users", "_selected_action": [verified_user.pk]})

    assert response.status_code == 302 and response.url.startswith(LOGIN)
    verified_user.refresh_from_db()
    assert not verified_user.is_locked


def test_api_tokens_of_the_same_user_are_untouched(admin_site_client, admin_user, client_for, idle_limit):
    api = client_for(admin_user)
    idle_for(admin_site_client, idle_limit + 1)
    assert admin_site_client.get(CHANGELIST).status_code == 302

    assert api.get("/users/me").status_code == 200


def test_requests_outside_the_admin_leave_the_session_alone(admin_site_client, idle_limit):
    idle_for(admin_site_client, idle_limit + 1)

    admin_site_client.get("/health")

    assert "_auth_user_id" in admin_site_client.session


@pytest.mark.django_db(transaction=True)
def test_under_asgi_too(admin_user, idle_limit):
    from asgiref.sync import async_to_sync, sync_to_async
    from django.test import AsyncClient

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(admin_user)
        assert (await client.get(CHANGELIST)).status_code == 200
        await sync_to_async(idle_for)(client, idle_limit + 1)
        return await client.get(CHANGELIST)

    response = async_to_sync(scenario)()

    assert response.status_code == 302 and response.url.startswith(LOGIN)
