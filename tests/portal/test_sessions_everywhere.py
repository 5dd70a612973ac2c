"""Ending every session of an account ends its browser sessions on every page at once:
the session's auth hash covers `token_version` (users.models.User)."""

from django.urls import reverse

from tests.factories import UserFactory
from users.services import session_logout_all


def test_log_out_everywhere_through_the_api_ends_a_member_pages_session(client, db):
    member = UserFactory()
    client.force_login(member)
    assert client.get(reverse("portal:my-events")).status_code == 200
    session_logout_all(user=member)
    assert client.get(reverse("portal:my-events")).status_code == 302  # to the log-in page


def test_an_admin_session_ends_too(client, db):
    admin = UserFactory(admin=True)
    client.force_login(admin)
    assert client.get("/admin/users/user/").status_code == 200
    session_logout_all(user=admin)
    assert client.get("/admin/users/user/").status_code == 302


def test_other_changes_keep_the_session(client, db):
    member = UserFactory()
    client.force_login(member)
    member.bio = "Compilers."
    member.save(update_fields=["bio"])
    assert client.get(reverse("portal:my-events")).status_code == 200
