"""The account features in the admin: audit on every action, the ADMIN confirmation page,
ending sessions, CSV export of the filtered list, the audit section, password set by staff,
audited deletes."""

import csv
import io

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import UserFactory
from users.authentication import access_token_for
from users.models import Role, User

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:users_user_changelist")
NEW_PASSWORD = "Brand*New5678"


def post_action(client, action, *users, meta=None, **data):
    payload = {"action": action, "_selected_action": [str(u.pk) for u in users], **data}
    return client.post(CHANGELIST, payload, **(meta or {}))


@pytest.mark.parametrize(
    ("action", "traits", "audited"),
    [
        ("lock_users", {}, "user.locked"),
        ("unlock_users", {"locked": True}, "user.unlocked"),
        ("mark_email_verified", {"unverified": True}, "user.email_verified_by_staff"),
        ("grant_professional", {}, "user.professional_granted"),
        ("revoke_professional", {"is_professional": True}, "user.professional_revoked"),
        ("set_role_manager", {}, "user.role_changed"),
        ("end_sessions", {}, "user.sessions_ended"),
    ],
)
def test_every_admin_action_is_audited_with_its_actor(admin_site_client, admin_user, action, traits, audited):
    member = UserFactory(**traits)
    meta = {"REMOTE_ADDR": "192.0.2.44", "HTTP_X_REQUEST_ID": "adm-1"}
    response = post_action(admin_site_client, action, member, meta=meta)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=audited)
    assert (event.actor_id, event.target_user_id, event.client_ip, event.request_id) == (
        admin_user.pk,
        member.pk,
        "192.0.2.44",
        "adm-1",
    )


def test_an_action_that_changes_nothing_writes_nothing(admin_site_client):
    members = UserFactory.create_batch(2)  # not locked
    response = admin_site_client.post(
        CHANGELIST, {"action": "unlock_users", "_selected_action": [str(u.pk) for u in members]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Unlocked 0 users; 2 were not locked."]
    assert not AuditEvent.objects.exists()


def test_making_someone_admin_asks_first(admin_site_client):
    members = UserFactory.create_batch(2)
    page = post_action(admin_site_client, "set_role_admin", *members)
    assert page.status_code == 200
    assert "Make these users admins?" in page.text
    for member in members:
        assert member.email in page.text
    assert {User.objects.get(pk=m.pk).role for m in members} == {Role.AUTHENTICATED}

    done = post_action(admin_site_client, "set_role_admin", *members, confirm="yes")
    assert done.status_code == 302
    assert {User.objects.get(pk=m.pk).role for m in members} == {Role.ADMIN}
    assert AuditEvent.objects.filter(action="user.role_changed").count() == 2


def test_end_sessions_kills_live_tokens(admin_site_client, api_client):
    member = UserFactory()
    token = str(access_token_for(member))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/users/me").status_code == 200
    post_action(admin_site_client, "end_sessions", member)
    assert api_client.get("/users/me").status_code == 401


def test_csv_export_streams_the_whole_filtered_list(admin_site_client):
    locked = UserFactory.create_batch(3, locked=True, resume_url="https://example.com/cv.pdf")
    UserFactory.create_batch(2)
    response = admin_site_client.post(
        CHANGELIST + "?is_locked__exact=1",
        {"action": "export_csv", "select_across": "1", "_selected_action": [str(locked[0].pk)]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["email"] for row in rows) == sorted(u.email for u in locked)
    assert {row["is_locked"] for row in rows} == {"True"}
    assert rows[0]["resume_url"] == "https://example.com/cv.pdf"
    assert "password" not in rows[0]


def test_csv_export_writes_formulas_a_member_typed_as_text(admin_site_client, client_for):
    member = UserFactory()
    hostile = {"first_name": '=HYPERLINK("http://x.invalid","a")', "last_name": "+SUM(1,2)"}
    assert client_for(member).patch("/users/me", hostile, format="json").status_code == 200

    response = admin_site_client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [str(member.pk)]})

    assert response.status_code == 200
    assert response.streaming
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert row["first_name"] == "'" + hostile["first_name"]
    assert row["last_name"] == "'" + hostile["last_name"]
    assert row["email"] == member.email


def test_a_users_page_shows_their_audit_trail(admin_site_client, admin_user):
    member = UserFactory()
    post_action(admin_site_client, "lock_users", member)
    post_action(admin_site_client, "set_role_manager", member)
    page = admin_site_client.get(reverse("admin:users_user_change", args=[member.pk]))
    assert page.status_code == 200
    assert "Audit trail" in page.text
    assert "user.role_changed" in page.text and "user.locked" in page.text
    assert "role: AUTHENTICATED → MANAGER" in page.text
    assert f"?target_user__id__exact={member.pk}" in page.text
    listing = admin_site_client.get(reverse("admin:audit_auditevent_changelist"), {"target_user__id__exact": member.pk})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2


def test_staff_setting_a_password_ends_sessions_and_is_audited(admin_site_client, admin_user, api_client):
    member = UserFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(member)}")
    response = admin_site_client.post(
        reverse("admin:auth_user_password_change", args=[member.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert User.objects.get(pk=member.pk).check_password(NEW_PASSWORD)
    assert api_client.get("/users/me").status_code == 401
    event = AuditEvent.objects.get(action="user.password_set_by_staff")
    assert event.actor_id == admin_user.pk


def test_admin_deletes_are_audited(admin_site_client, admin_user):
    one, two, three = UserFactory.create_batch(3)
    admin_site_client.post(reverse("admin:users_user_delete", args=[one.pk]), {"post": "yes"})
    admin_site_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [str(two.pk), str(three.pk)], "post": "yes"}
    )
    assert not User.objects.filter(pk__in=[one.pk, two.pk, three.pk]).exists()
    deleted = AuditEvent.objects.filter(action="user.deleted")
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(str(u.pk) for u in (one, two, three))
    assert set(deleted.values_list("actor_id", flat=True)) == {admin_user.pk}


def test_managers_get_the_confirmation_free_actions_but_not_export_of_admins(manager_site_client, admin_user):
    member = UserFactory(password=make_password("x"))
    response = manager_site_client.post(
        CHANGELIST, {"action": "end_sessions", "_selected_action": [str(member.pk), str(admin_user.pk)]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Ended every session of 1 user."]
    assert not AuditEvent.objects.filter(target_user=admin_user).exists()


def test_staff_changing_an_email_in_the_form_unverifies_it_and_notifies_both_addresses(
    admin_site_client, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.users.test_admin import change_form_data

    member = UserFactory()
    old = member.email
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site_client.post(
            reverse("admin:users_user_change", args=[member.pk]), change_form_data(member, email="moved@example.com")
        )
    assert response.status_code == 302
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.email, fresh.email_verified, fresh.role) == ("moved@example.com", False, Role.ANONYMOUS)
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([old, "moved@example.com"])
    assert AuditEvent.objects.get(action="user.email_changed").changes["email"] == [old, "moved@example.com"]
