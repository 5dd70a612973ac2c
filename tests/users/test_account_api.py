"""A member's own account through the API: /users/me, email change, password change, closing."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from users.models import Role, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand*New5678"
LINK_RE = re.escape(settings.SERVER_BASE_URL) + r"/verify-email/([0-9a-f-]{36})/([0-9a-z]+-[0-9a-f]+)"


def _links(body):
    return {link["rel"]: (link["method"], link["href"]) for link in body["links"]}


# --- GET /users/me ----------------------------------------------------------------


@pytest.mark.parametrize("traits", [{}, {"manager": True}, {"admin": True}], ids=["member", "manager", "admin"])
@pytest.mark.parametrize("path", ["/users/me", "/users/me/"])
def test_any_logged_in_user_reads_their_own_account_in_one_query(client_for, traits, path):
    user = UserFactory(**traits)
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["email"], body["role"], body["pending_email"]) == (
        str(user.pk),
        user.email,
        user.role,
        None,
    )
    assert len(queries) == 1  # the token's user, loaded by authentication; nothing else
    assert _links(body) == {
        "self": ("GET", "http://testserver/users/me"),
        "update": ("PATCH", "http://testserver/users/me"),
        "close": ("DELETE", "http://testserver/users/me"),
        "logout": ("POST", "http://testserver/logout"),
    }
    assert "password" not in response.content.decode().lower().replace("/password", "")


def test_me_needs_a_token(api_client):
    assert api_client.get("/users/me").status_code == 401


def test_me_is_not_taken_for_a_user_id(admin_client_api, admin_user):
    assert admin_client_api.get("/users/me").json()["id"] == str(admin_user.pk)


def test_a_manager_sees_no_update_or_delete_link_on_an_admin(manager_client_api, admin_user, verified_user):
    assert set(_links(manager_client_api.get(f"/users/{admin_user.pk}").json())) == {"self"}
    assert set(_links(manager_client_api.get(f"/users/{verified_user.pk}").json())) == {"self", "update", "delete"}


# --- PATCH /users/me --------------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_member_edits_their_profile(client_for, verified_user, method):
    changes = {
        "nickname": "new_nick",
        "first_name": "Ann",
        "bio": "Likes Django.",
        "github_profile_url": "https://github.com/ann",
        "resume_url": "https://example.com/cv/ann.pdf",
    }
    response = getattr(client_for(verified_user), method)("/users/me", changes, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert {key: body[key] for key in changes} == changes
    fresh = User.objects.get(pk=verified_user.pk)
    assert (fresh.nickname, fresh.resume_url) == ("new_nick", "https://example.com/cv/ann.pdf")
    event = AuditEvent.objects.get(action="user.profile_updated", target_user=verified_user)
    assert event.actor_id == verified_user.pk
    assert event.changes["nickname"][1] == "new_nick"


@pytest.mark.parametrize(
    "field", ["role", "is_locked", "email_verified", "is_professional", "failed_login_attempts", "created_at", "id"]
)
def test_protected_fields_are_refused_by_name(client_for, verified_user, field):
    response = client_for(verified_user).patch("/users/me", {field: "ADMIN", "bio": "x"}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    fresh = User.objects.get(pk=verified_user.pk)
    assert (fresh.role, fresh.bio) == (Role.AUTHENTICATED, verified_user.bio)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resume_url": "ftp://example.com/cv.pdf"}, "resume_url"),
        ({"profile_picture_url": "https://example.com/p.txt"}, "profile_picture_url"),
        ({"nickname": "a"}, "nickname"),
        ({"email": "not-an-email"}, "email"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({}, "non_field_errors"),
    ],
)
def test_bad_profile_input_names_the_field(client_for, verified_user, body, field):
    response = client_for(verified_user).patch("/users/me", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not AuditEvent.objects.exists()


def test_a_taken_email_is_refused(client_for, verified_user, admin_user):
    response = client_for(verified_user).patch("/users/me", {"email": admin_user.email.upper()}, format="json")
    assert response.status_code == 400
    assert "Email already exists" in response.json()["detail"]


# --- Email change by the member -----------------------------------------------------


def _request_new_email(client, capture, mailoutbox, address="ann.new@example.com"):
    with capture(execute=True):
        response = client.patch("/users/me", {"email": address}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_new_email_waits_for_its_link(client_for, verified_user, mailoutbox, django_capture_on_commit_callbacks):
    old = verified_user.email
    body = _request_new_email(client_for(verified_user), django_capture_on_commit_callbacks, mailoutbox)

    assert (body["email"], body["pending_email"], body["email_verified"]) == (old, "ann.new@example.com", True)
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([old, "ann.new@example.com"])
    notice = next(mail for mail in mailoutbox if mail.to == [old])
    assert "ann.new@example.com" in notice.body
    assert not re.search(LINK_RE, notice.body)  # the old address gets no link
    link_mail = next(mail for mail in mailoutbox if mail.to == ["ann.new@example.com"])
    user_id, token = re.search(LINK_RE, link_mail.body).groups()
    assert User.objects.get(pk=verified_user.pk).email == old  # nothing changes before the link

    api = client_for(verified_user)
    response = api.get(f"/verify-email/{user_id}/{token}")
    assert response.status_code == 200, response.content
    fresh = User.objects.get(pk=verified_user.pk)
    assert (fresh.email, fresh.pending_email, fresh.email_verified) == ("ann.new@example.com", "", True)
    assert AuditEvent.objects.get(action="user.email_changed").changes == {"email": [old, "ann.new@example.com"]}
    assert api.get("/users/me").status_code == 401  # an email change ends every session
    again = api.get(f"/verify-email/{user_id}/{token}")
    assert again.status_code == 400
    assert "already verified" in again.json()["detail"]


def test_a_link_only_confirms_the_address_it_was_sent_to(
    client_for, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(verified_user)
    _request_new_email(client, django_capture_on_commit_callbacks, mailoutbox, "first@example.com")
    first = next(mail for mail in mailoutbox if mail.to == ["first@example.com"])
    _request_new_email(client, django_capture_on_commit_callbacks, mailoutbox, "second@example.com")

    user_id, token = re.search(LINK_RE, first.body).groups()
    assert client.get(f"/verify-email/{user_id}/{token}").status_code == 400
    fresh = User.objects.get(pk=verified_user.pk)
    assert (fresh.email, fresh.pending_email) == (verified_user.email, "second@example.com")


# --- Email change by staff ---------------------------------------------------------------


def test_staff_email_change_unverifies_notifies_and_ends_sessions(
    admin_client_api, client_for, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    member_api = client_for(verified_user)
    old = verified_user.email
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_api.put(f"/users/{verified_user.pk}", {"email": "moved@example.com"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["email"], body["email_verified"], body["role"]) == ("moved@example.com", False, Role.ANONYMOUS)
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([old, "moved@example.com"])
    link_mail = next(mail for mail in mailoutbox if mail.to == ["moved@example.com"])
    assert re.search(LINK_RE, link_mail.body)
    assert member_api.get("/users/me").status_code == 401
    event = AuditEvent.objects.get(action="user.email_changed")
    assert event.changes == {"email": [old, "moved@example.com"], "email_verified": [True, False]}


# --- Password change ----------------------------------------------------------------------


def test_password_change_ends_every_session(client_for, api_client, verified_user):
    client = client_for(verified_user)
    response = client.post(
        "/users/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    assert client.get("/users/me").status_code == 401
    login = api_client.post("/login/", {"username": verified_user.email, "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200
    assert AuditEvent.objects.filter(action="user.password_changed", target_user=verified_user).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"old_password": "Wrong*Pass1", "new_password": NEW_PASSWORD}, "old_password"),
        ({"old_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"old_password": PASSWORD}, "new_password"),
    ],
)
def test_password_change_errors_name_the_field(client_for, verified_user, body, field):
    client = client_for(verified_user)
    response = client.post("/users/me/password", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert client.get("/users/me").status_code == 200  # nothing changed, the session lives
    assert User.objects.get(pk=verified_user.pk).check_password(PASSWORD)


# --- Closing the account ----------------------------------------------------------------------


def test_closing_needs_the_password(client_for, verified_user):
    response = client_for(verified_user).delete("/users/me", {"password": "Wrong*Pass1"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()
    assert User.objects.get(pk=verified_user.pk).closed_at is None


def test_closing_anonymises_the_account_and_ends_its_sessions(
    client_for, api_client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(verified_user)
    old_email = verified_user.email
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete("/users/me", {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    fresh = User.objects.get(pk=verified_user.pk)
    assert fresh.closed_at is not None and fresh.is_locked
    assert old_email not in (fresh.email, fresh.nickname)
    assert (fresh.first_name, fresh.last_name, fresh.bio) == ("", "", "")
    assert not fresh.has_usable_password()
    assert client.get("/users/me").status_code == 401
    login = api_client.post("/login/", {"username": old_email, "password": PASSWORD}, format="json")
    assert login.status_code == 401
    assert [mail.to for mail in mailoutbox] == [[old_email]]
    assert AuditEvent.objects.get(action="user.account_closed").target_user_id == verified_user.pk
    # The address is free again.
    assert (
        api_client.post("/register/", {"email": old_email, "password": NEW_PASSWORD}, format="json").status_code == 201
    )


def test_the_last_admin_cannot_close_their_account(admin_client_api, admin_user):
    response = admin_client_api.delete("/users/me", {"password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "last admin" in response.json()["detail"]
    assert User.objects.get(pk=admin_user.pk).closed_at is None


def test_an_admin_may_close_when_another_admin_remains(client_for, admin_user):
    UserFactory(admin=True)
    assert client_for(admin_user).delete("/users/me", {"password": PASSWORD}, format="json").status_code == 204


def test_the_last_admin_cannot_demote_themselves(admin_client_api, admin_user):
    response = admin_client_api.put(f"/users/{admin_user.pk}", {"role": "MANAGER"}, format="json")
    assert response.status_code == 400
    assert User.objects.get(pk=admin_user.pk).role == Role.ADMIN


def test_closing_gives_the_accounts_event_seats_to_the_next_person(client_for):
    from events import services as event_services
    from events.models import Registration, RegistrationStatus
    from tests.events.conftest import EventFactory

    event = EventFactory(capacity=1)
    leaving, waiting = UserFactory(), UserFactory()
    event_services.registration_create(actor=leaving, event_id=event.pk)
    event_services.registration_create(actor=waiting, event_id=event.pk)

    assert client_for(leaving).delete("/users/me", {"password": PASSWORD}, format="json").status_code == 204

    event.refresh_from_db()
    assert event.seats_taken == 1
    assert Registration.objects.get(event=event, user=waiting).status == RegistrationStatus.CONFIRMED
    assert Registration.objects.get(event=event, user=leaving).status not in (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    )
