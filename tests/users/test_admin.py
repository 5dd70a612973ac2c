import io
import re

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import EmailStatus, OutgoingEmail
from tests.factories import PASSWORD, UserFactory
from users.admin import UserAdmin, UserEditForm
from users.models import Role, User
from users.notices import VERIFY_EMAIL

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:users_user_changelist")
ADD = reverse("admin:users_user_add")
LOGIN = reverse("admin:login")
OUTBOX = reverse("admin:notifications_outgoingemail_changelist")
STRONG_PASSWORD = "Brand*New9Pass"
SET_ROLE_ACTIONS = ["set_role_anonymous", "set_role_authenticated", "set_role_manager", "set_role_admin"]
ALL_ACTIONS = [
    "delete_selected",
    "lock_users",
    "unlock_users",
    "mark_email_verified",
    "resend_verification_email",
    "grant_professional",
    "revoke_professional",
    "end_sessions",
    "export_csv",
    *SET_ROLE_ACTIONS,
]


def change_url(user):
    return reverse("admin:users_user_change", args=[user.pk])


def delete_url(user):
    return reverse("admin:users_user_delete", args=[user.pk])


def listed(response):
    """The users shown on a changelist page."""
    return set(response.context["cl"].result_list)


def run_action(client, action, *users):
    data = {"action": action, "_selected_action": [str(u.pk) for u in users]}
    if action == "set_role_admin":
        data["confirm"] = "yes"  # the confirmation page (tests/users/test_account_admin.py) answered
    response = client.post(CHANGELIST, data, follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def action_names(response):
    return [name for name, _ in response.context["action_form"].fields["action"].choices if name]


def change_form_data(user, **changes):
    """What the change form posts back for `user` (editable fields only), with `changes` applied."""
    data = {
        field: getattr(user, field)
        for field in (
            "email",
            "nickname",
            "first_name",
            "last_name",
            "bio",
            "profile_picture_url",
            "linkedin_profile_url",
            "github_profile_url",
            "role",
        )
    }
    data.update(changes)
    return data


# --- changelist -----------------------------------------------------------------


def test_changelist_lists_users(admin_site_client, admin_user):
    members = UserFactory.create_batch(3)
    response = admin_site_client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {admin_user, *members}
    for member in members:
        assert member.email in response.text


def test_changelist_is_newest_first(admin_site_client, admin_user):
    first, second = UserFactory.create_batch(2)
    response = admin_site_client.get(CHANGELIST)
    assert list(response.context["cl"].result_list)[:2] == [second, first]


@pytest.mark.parametrize(
    "query",
    ["target.person@example.com", "TARGET.PERSON", "zebra_rider", "Quintessa", "quintessa", "Vandermolen"],
    ids=["email", "email-part-upper", "nickname", "first-name", "first-name-lower", "last-name"],
)
def test_changelist_search(admin_site_client, query):
    target = UserFactory(
        email="target.person@example.com", nickname="zebra_rider", first_name="Quintessa", last_name="Vandermolen"
    )
    UserFactory.create_batch(3, first_name="Ann", last_name="Lee")
    response = admin_site_client.get(CHANGELIST, {"q": query})
    assert response.status_code == 200
    assert listed(response) == {target}


@pytest.mark.parametrize(
    ("params", "traits"),
    [
        ({"role__exact": Role.MANAGER}, {"manager": True}),
        ({"role__exact": Role.ANONYMOUS}, {"unverified": True}),
        ({"email_verified__exact": "0"}, {"unverified": True}),
        ({"is_locked__exact": "1"}, {"locked": True}),
        ({"is_professional__exact": "1"}, {"is_professional": True}),
        ({"show_in_directory__exact": "1"}, {"show_in_directory": True}),
    ],
    ids=["role-manager", "role-anonymous", "unverified", "locked", "professional", "in-directory"],
)
def test_changelist_filters(admin_site_client, params, traits):
    target = UserFactory(**traits)
    UserFactory.create_batch(2)
    response = admin_site_client.get(CHANGELIST, params)
    assert response.status_code == 200
    assert listed(response) == {target}


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"email_verified__exact": "1"}, 3), ({"is_locked__exact": "0"}, 3), ({"role__exact": Role.ADMIN}, 1)],
)
def test_changelist_filters_other_side(admin_site_client, params, expected):
    UserFactory.create_batch(2)
    UserFactory(unverified=True, locked=True)
    response = admin_site_client.get(CHANGELIST, params)
    assert len(listed(response)) == expected


def test_the_members_settings_show_on_the_change_form_and_stay_theirs(admin_site_client):
    member = UserFactory(time_zone="America/New_York", show_in_directory=True)
    html = admin_site_client.get(change_url(member)).content.decode()
    assert "Member&#x27;s settings" in html and "America/New_York" in html
    assert "in the member directory" in admin_site_client.get(CHANGELIST).content.decode()
    # a POST naming the read-only fields changes the rest, not them
    data = change_form_data(member, first_name="Renamed", time_zone="Asia/Tokyo", show_in_directory="")
    assert admin_site_client.post(change_url(member), data).status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.time_zone, member.show_in_directory) == ("Renamed", "America/New_York", True)


def test_changelist_offers_every_action_to_admin(admin_site_client):
    response = admin_site_client.get(CHANGELIST)
    assert sorted(action_names(response)) == sorted(ALL_ACTIONS)


# --- change form --------------------------------------------------------------------


def test_change_form_renders_fieldsets_and_read_only_fields(admin_site_client):
    member = UserFactory(failed_login_attempts=2)
    response = admin_site_client.get(change_url(member))
    assert response.status_code == 200
    adminform = response.context["adminform"]
    assert [name for name, _ in adminform.fieldsets] == [
        None,
        "Profile",
        "Links",
        "Member's settings",
        "Role and status",
        "Security",
        "Timestamps",
        "Audit trail",
    ]
    form_fields = set(adminform.form.fields)
    assert {"email", "nickname", "first_name", "bio", "profile_picture_url", "role"} <= form_fields
    for readonly in (
        "id",
        "created_at",
        "updated_at",
        "failed_login_attempts",
        "last_login_at",
        "is_locked",
        "email_verified",
        "is_professional",
        "professional_status_updated_at",
        "time_zone",
        "show_in_directory",
    ):
        assert readonly in adminform.readonly_fields
        assert readonly not in form_fields
        assert f'name="{readonly}"' not in response.text
    assert member.email in response.text
    assert "groups" not in form_fields and "user_permissions" not in form_fields


def test_change_form_saves_valid_edit(admin_site_client):
    member = UserFactory()
    response = admin_site_client.post(
        change_url(member), change_form_data(member, first_name="Edited", role=Role.MANAGER, bio="New bio")
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.role, member.bio) == ("Edited", Role.MANAGER, "New bio")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"profile_picture_url": "https://example.com/pic.pdf"}, "profile_picture_url"),
        ({"github_profile_url": "ftp://github.com/x"}, "github_profile_url"),
        ({"nickname": "no spaces"}, "nickname"),
        ({"email": "TAKEN@example.com"}, "email"),
        ({"bio": "x" * 501}, "bio"),
    ],
    ids=["picture", "github", "nickname", "email-taken", "bio"],
)
def test_change_form_enforces_model_rules(admin_site_client, changes, field):
    UserFactory(email="taken@example.com")
    member = UserFactory(first_name="Before")
    response = admin_site_client.post(change_url(member), change_form_data(member, first_name="After", **changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.first_name == "Before"


def test_admin_cannot_change_own_role_in_change_form(admin_site_client, admin_user):
    """The change form must keep the rule the services, the API and the set_role actions
    enforce: an admin cannot demote themselves (and so leave the site without an admin)."""
    admin_site_client.post(change_url(admin_user), change_form_data(admin_user, role=Role.AUTHENTICATED))
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_change_form_does_not_undo_a_concurrent_lock(admin_site_client, monkeypatch):
    """The admin loads the user, then validates and saves the form: a lock (or failed
    logins) committed by another request in between must survive the save."""
    member = UserFactory(first_name="Before")
    validate = UserEditForm.clean

    def clean_while_another_request_locks(form):
        User.objects.filter(pk=member.pk).update(is_locked=True, failed_login_attempts=3)
        return validate(form)

    monkeypatch.setattr(UserEditForm, "clean", clean_while_another_request_locks)
    response = admin_site_client.post(change_url(member), change_form_data(member, first_name="After"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.first_name == "After"
    assert (member.is_locked, member.failed_login_attempts) == (True, 3)


def password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def test_admin_sets_password_with_validators_enforced(admin_site_client):
    member = UserFactory()
    weak = {"password1": "password", "password2": "password", "usable_password": "true"}
    response = admin_site_client.post(password_url(member), weak)
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    strong = {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD, "usable_password": "true"}
    assert admin_site_client.post(password_url(member), strong).status_code == 302
    member.refresh_from_db()
    assert member.check_password(STRONG_PASSWORD)


# --- add form -----------------------------------------------------------------------


def add_form_data(**changes):
    data = {
        "email": "new.person@example.com",
        "nickname": "",
        "role": Role.AUTHENTICATED,
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
    }
    data.update(changes)
    return data


def test_add_form_renders(admin_site_client):
    response = admin_site_client.get(ADD)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) == {"email", "nickname", "role", "password1", "password2"}


def test_add_form_creates_user_and_sends_verification(
    admin_site_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site_client.post(ADD, add_form_data(role=Role.MANAGER))
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.MANAGER
    assert user.email_verified is False
    assert re.fullmatch(r"[a-z]+_[a-z]+_\d+", user.nickname)
    assert user.password != STRONG_PASSWORD
    assert user.check_password(STRONG_PASSWORD)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@example.com"]
    assert f"/verify-email/{user.pk}/" in mailoutbox[0].body
    assert OutgoingEmail.objects.get(user=user).status == EmailStatus.SENT


def test_add_form_keeps_given_nickname(admin_site_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site_client.post(ADD, add_form_data(nickname="chosen-nick"))
    assert response.status_code == 302
    assert User.objects.get(email="new.person@example.com").nickname == "chosen-nick"


@pytest.mark.parametrize(
    "password",
    ["password", "Sh0rt*", "alllower*case1", "ALLUPPER*CASE1", "NoDigits*Here", "NoSpecial1Here", "12345678901"],
)
def test_add_form_refuses_weak_password(admin_site_client, mailoutbox, django_capture_on_commit_callbacks, password):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site_client.post(ADD, add_form_data(password1=password, password2=password))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert mailoutbox == []


def test_add_form_refuses_password_similar_to_email(admin_site_client):
    response = admin_site_client.post(
        ADD, add_form_data(email="quintessa.v@example.com", password1="Quintessa.V1", password2="Quintessa.V1")
    )
    assert response.status_code == 200
    assert "too similar" in str(response.context["adminform"].form.errors["password2"])
    assert not User.objects.filter(email="quintessa.v@example.com").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "Admin.User@Example.com"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"nickname": "admin_user"}, "nickname"),
        ({"nickname": "x"}, "nickname"),
        ({"password2": "Other*Pass99"}, "password2"),
        ({"role": "SUPERHERO"}, "role"),
    ],
    ids=["email-taken-other-case", "email-invalid", "nickname-taken", "nickname-short", "mismatch", "role"],
)
def test_add_form_validation_errors(admin_site_client, changes, field):
    response = admin_site_client.post(ADD, add_form_data(**changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert User.objects.count() == 1


def test_add_form_email_taken_message(admin_site_client):
    response = admin_site_client.post(ADD, add_form_data(email="ADMIN.USER@example.com"))
    assert response.context["adminform"].form.errors["email"] == ["Email already exists."]


# --- actions ------------------------------------------------------------------------


def test_lock_action(admin_site_client, admin_user):
    members = UserFactory.create_batch(2)
    bystander = UserFactory()
    messages = run_action(admin_site_client, "lock_users", *members)
    assert messages == ["Locked 2 users."]
    assert [User.objects.get(pk=m.pk).is_locked for m in members] == [True, True]
    bystander.refresh_from_db()
    assert bystander.is_locked is False


@pytest.mark.parametrize(
    ("action", "traits", "message"),
    [
        ("lock_users", {}, "Locked: no → yes"),
        ("unlock_users", {"locked": True}, "Locked: yes → no; Failed login attempts: 3 → 0"),
        ("mark_email_verified", {"unverified": True}, "Role: ANONYMOUS → AUTHENTICATED; Email verified: no → yes"),
        ("resend_verification_email", {"unverified": True}, "Verification email queued to someone@example.com"),
        ("grant_professional", {}, "Professional: no → yes"),
        ("set_role_manager", {}, "Role: AUTHENTICATED → MANAGER"),
    ],
)
def test_actions_are_recorded_in_the_users_history(admin_site_client, admin_user, action, traits, message):
    member = UserFactory(email="someone@example.com", **traits)
    run_action(admin_site_client, action, member)
    [entry] = LogEntry.objects.filter(object_id=str(member.pk))
    assert (entry.user_id, entry.action_flag, entry.get_change_message()) == (admin_user.pk, CHANGE, message)
    history = admin_site_client.get(reverse("admin:users_user_history", args=[member.pk]))
    assert message in history.content.decode()


@pytest.mark.parametrize(
    ("action", "traits", "message"),
    [
        ("lock_users", {"locked": True}, "Locked 0 users; 1 was already locked."),
        ("unlock_users", {}, "Unlocked 0 users; 1 was not locked."),
        ("mark_email_verified", {}, "Verified the email of 0 users; 1 was already verified."),
        ("resend_verification_email", {}, "Queued a verification email to 0 users; 1 was already verified."),
        (
            "grant_professional",
            {"is_professional": True},
            "Granted professional status to 0 users; 1 was already professional.",
        ),
        ("revoke_professional", {}, "Revoked professional status from 0 users; 1 was not professional."),
        ("set_role_authenticated", {}, "Set role AUTHENTICATED on 0 users; 1 was already AUTHENTICATED."),
    ],
)
def test_actions_that_change_nothing_say_so_and_write_no_history(admin_site_client, action, traits, message):
    member = UserFactory(**traits)
    updated_at = member.updated_at
    assert run_action(admin_site_client, action, member) == [message]
    assert not LogEntry.objects.filter(object_id=str(member.pk)).exists()
    member.refresh_from_db()
    assert member.updated_at == updated_at


def test_action_message_counts_what_changed(admin_site_client):
    locked = UserFactory.create_batch(2, locked=True)
    unlocked = UserFactory.create_batch(3)
    assert run_action(admin_site_client, "unlock_users", *locked, *unlocked) == ["Unlocked 2 users; 3 were not locked."]
    assert LogEntry.objects.filter(object_id__in=[str(u.pk) for u in locked]).count() == 2
    assert not LogEntry.objects.filter(object_id__in=[str(u.pk) for u in unlocked]).exists()


def test_lock_action_never_locks_yourself(admin_site_client, admin_user):
    member = UserFactory()
    messages = run_action(admin_site_client, "lock_users", admin_user, member)
    assert messages == ["You cannot lock your own account; it was left unlocked.", "Locked 1 user."]
    admin_user.refresh_from_db()
    member.refresh_from_db()
    assert (admin_user.is_locked, member.is_locked) == (False, True)


def test_unlock_action_resets_failed_logins(admin_site_client):
    locked = UserFactory(locked=True)
    assert locked.failed_login_attempts == 3
    messages = run_action(admin_site_client, "unlock_users", locked)
    assert messages == ["Unlocked 1 user."]
    locked.refresh_from_db()
    assert (locked.is_locked, locked.failed_login_attempts) == (False, 0)


def test_mark_email_verified_action(admin_site_client):
    anonymous = UserFactory(unverified=True)
    manager = UserFactory(manager=True, email_verified=False)
    run_action(admin_site_client, "mark_email_verified", anonymous, manager)
    anonymous.refresh_from_db()
    manager.refresh_from_db()
    assert (anonymous.email_verified, anonymous.role) == (True, Role.AUTHENTICATED)
    assert (manager.email_verified, manager.role) == (True, Role.MANAGER)


def test_resend_verification_action_mails_unverified_only(
    admin_site_client, mailoutbox, django_capture_on_commit_callbacks
):
    unverified = UserFactory(unverified=True)
    verified = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        messages = run_action(admin_site_client, "resend_verification_email", unverified, verified)
    assert messages == ["Queued a verification email to 1 user; 1 was already verified."]
    assert [m.to for m in mailoutbox] == [[unverified.email]]
    assert f"/verify-email/{unverified.pk}/" in mailoutbox[0].body
    assert not OutgoingEmail.objects.filter(user=verified).exists()


@pytest.mark.parametrize(
    ("action", "before", "after"), [("grant_professional", False, True), ("revoke_professional", True, False)]
)
def test_professional_actions(admin_site_client, action, before, after):
    member = UserFactory(is_professional=before)
    assert member.professional_status_updated_at is None
    run_action(admin_site_client, action, member)
    member.refresh_from_db()
    assert member.is_professional is after
    assert member.professional_status_updated_at is not None


def test_professional_action_leaves_timestamp_when_unchanged(admin_site_client):
    member = UserFactory(is_professional=False)
    run_action(admin_site_client, "revoke_professional", member)
    member.refresh_from_db()
    assert (member.is_professional, member.professional_status_updated_at) == (False, None)


@pytest.mark.parametrize(
    ("action", "role"),
    [
        ("set_role_anonymous", Role.ANONYMOUS),
        ("set_role_authenticated", Role.AUTHENTICATED),
        ("set_role_manager", Role.MANAGER),
        ("set_role_admin", Role.ADMIN),
    ],
)
def test_set_role_actions(admin_site_client, action, role):
    members = [UserFactory(), UserFactory(manager=True), UserFactory(unverified=True)]
    messages = run_action(admin_site_client, action, *members)
    already = {Role.AUTHENTICATED: 1, Role.MANAGER: 1, Role.ANONYMOUS: 1, Role.ADMIN: 0}[role]
    expected = f"Set role {role.value} on {3 - already} users"
    assert messages == [f"{expected}; 1 was already {role.value}." if already else f"{expected}."]
    assert {User.objects.get(pk=m.pk).role for m in members} == {role}


def test_set_role_action_cannot_change_own_role(admin_site_client, admin_user):
    member = UserFactory()
    messages = run_action(admin_site_client, "set_role_manager", admin_user, member)
    assert messages == [f"{admin_user.email}: You cannot change your own role.", "Set role MANAGER on 1 user."]
    admin_user.refresh_from_db()
    member.refresh_from_db()
    assert (admin_user.role, member.role) == (Role.ADMIN, Role.MANAGER)


# --- managers in the admin ------------------------------------------------------------


def test_manager_logs_in_through_admin_login(client, manager_user):
    response = client.post(LOGIN, {"username": manager_user.email, "password": PASSWORD, "next": CHANGELIST})
    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert client.get(CHANGELIST).status_code == 200


def test_manager_sees_users_but_no_set_role_actions(manager_site_client, admin_user, manager_user):
    member = UserFactory()
    response = manager_site_client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {admin_user, manager_user, member}
    assert sorted(action_names(response)) == sorted(set(ALL_ACTIONS) - set(SET_ROLE_ACTIONS))


@pytest.mark.parametrize("action", SET_ROLE_ACTIONS)
def test_manager_cannot_run_set_role_actions(manager_site_client, action):
    member = UserFactory(unverified=True)
    messages = run_action(manager_site_client, action, member)
    assert "No action selected." in messages
    member.refresh_from_db()
    assert member.role == Role.ANONYMOUS


def test_manager_actions_skip_admins(manager_site_client, admin_user):
    member = UserFactory()
    messages = run_action(manager_site_client, "lock_users", admin_user, member)
    assert messages == ["Locked 1 user.", "Skipped 1 admin account: managers cannot change admins."]
    admin_user.refresh_from_db()
    member.refresh_from_db()
    assert (admin_user.is_locked, member.is_locked) == (False, True)


def test_manager_sees_admin_change_page_read_only(manager_site_client, admin_user):
    response = manager_site_client.get(change_url(admin_user))
    assert response.status_code == 200
    adminform = response.context["adminform"]
    assert set(adminform.form.fields) <= {"password"}
    assert {"email", "nickname", "role"} <= set(adminform.readonly_fields)
    assert not response.context["has_change_permission"]
    assert 'name="_save"' not in response.text


def test_manager_cannot_edit_admin(manager_site_client, admin_user):
    response = manager_site_client.post(change_url(admin_user), change_form_data(admin_user, first_name="Hacked"))
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.first_name != "Hacked"


def test_manager_cannot_change_admin_password(manager_site_client, admin_user):
    url = password_url(admin_user)
    assert manager_site_client.get(url).status_code == 403
    response = manager_site_client.post(url, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)


def test_manager_can_edit_member_but_not_role(manager_site_client):
    member = UserFactory()
    response = manager_site_client.get(change_url(member))
    assert response.status_code == 200
    assert "role" in response.context["adminform"].readonly_fields
    response = manager_site_client.post(
        change_url(member), change_form_data(member, first_name="Edited", role=Role.ADMIN)
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.role) == ("Edited", Role.AUTHENTICATED)


def test_manager_add_form_offers_member_roles_only(manager_site_client):
    response = manager_site_client.get(ADD)
    choices = [value for value, _ in response.context["adminform"].form.fields["role"].choices if value]
    assert choices == [Role.ANONYMOUS, Role.AUTHENTICATED]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_manager_cannot_create_staff(manager_site_client, role):
    response = manager_site_client.post(ADD, add_form_data(role=role))
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_manager_can_create_member(manager_site_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_site_client.post(ADD, add_form_data(role=Role.ANONYMOUS))
    assert response.status_code == 302
    assert User.objects.get(email="new.person@example.com").role == Role.ANONYMOUS


def test_manager_cannot_delete_admin(manager_site_client, admin_user):
    assert manager_site_client.get(delete_url(admin_user)).status_code == 403
    assert manager_site_client.post(delete_url(admin_user), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_manager_cannot_delete_self(manager_site_client, manager_user):
    assert manager_site_client.post(delete_url(manager_user), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=manager_user.pk).exists()


@pytest.mark.parametrize("victim", ["admin_user", "manager_user"])
def test_manager_bulk_delete_refuses_admins_and_self(manager_site_client, request, victim):
    target = request.getfixturevalue(victim)
    member = UserFactory()
    response = manager_site_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [str(target.pk), str(member.pk)], "post": "yes"},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk__in=[target.pk, member.pk]).count() == 2


def test_manager_can_delete_member(manager_site_client):
    member = UserFactory()
    response = manager_site_client.post(delete_url(member), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()


def test_admin_cannot_delete_self_but_can_delete_admin(admin_site_client, admin_user):
    other_admin = UserFactory(admin=True)
    assert admin_site_client.post(delete_url(admin_user), {"post": "yes"}).status_code == 403
    assert admin_site_client.post(delete_url(other_admin), {"post": "yes"}).status_code == 302
    assert list(User.objects.filter(role=Role.ADMIN)) == [admin_user]


# --- logging into the admin ---------------------------------------------------------


def test_admin_logs_in_through_admin_login(client, admin_user):
    response = client.post(LOGIN, {"username": "ADMIN.USER@example.com", "password": PASSWORD, "next": CHANGELIST})
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.last_login_at is not None


def test_admin_login_wrong_password_counts_toward_lockout(client, admin_user, settings):
    settings.MAX_LOGIN_ATTEMPTS = 3
    for attempt in (1, 2):
        response = client.post(LOGIN, {"username": admin_user.email, "password": "Wrong*Pass1"})
        assert response.status_code == 200
        assert response.context["form"].errors
        admin_user.refresh_from_db()
        assert (admin_user.failed_login_attempts, admin_user.is_locked) == (attempt, False)
    client.post(LOGIN, {"username": admin_user.email, "password": "Wrong*Pass1"})
    admin_user.refresh_from_db()
    assert (admin_user.failed_login_attempts, admin_user.is_locked) == (3, True)
    response = client.post(LOGIN, {"username": admin_user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get(CHANGELIST).status_code == 302


@pytest.mark.parametrize("traits", [{}, {"unverified": True}], ids=["member", "anonymous"])
def test_members_cannot_log_into_admin(client, traits):
    member = UserFactory(**traits)
    response = client.post(LOGIN, {"username": member.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(CHANGELIST).status_code == 302


def test_locked_out_session_loses_admin_access(admin_site_client, admin_user):
    User.objects.filter(pk=admin_user.pk).update(is_locked=True)
    response = admin_site_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- outgoing email admin -----------------------------------------------------------


@pytest.fixture
def outgoing_email(user):
    return OutgoingEmail.objects.create(user=user, to_address=user.email, kind=VERIFY_EMAIL)


@pytest.mark.parametrize("client_fixture", ["admin_site_client", "manager_site_client"])
def test_outgoing_email_changelist_renders(request, client_fixture, outgoing_email):
    response = request.getfixturevalue(client_fixture).get(OUTBOX)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [outgoing_email]
    assert outgoing_email.to_address in response.text


def test_outgoing_email_change_page_is_read_only(admin_site_client, outgoing_email):
    url = reverse("admin:notifications_outgoingemail_change", args=[outgoing_email.pk])
    response = admin_site_client.get(url)
    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    assert admin_site_client.get(reverse("admin:notifications_outgoingemail_add")).status_code == 403


def test_outgoing_email_send_again_action(admin_site_client, outgoing_email, mailoutbox):
    sent = OutgoingEmail.objects.create(
        user=outgoing_email.user, to_address="old@example.com", kind=VERIFY_EMAIL, status=EmailStatus.SENT
    )
    response = admin_site_client.post(
        OUTBOX, {"action": "send_again", "_selected_action": [str(outgoing_email.pk), str(sent.pk)]}, follow=True
    )
    assert "Queued 1 email(s)." in [str(m) for m in response.context["messages"]]
    assert [m.to for m in mailoutbox] == [[outgoing_email.to_address]]
    outgoing_email.refresh_from_db()
    assert outgoing_email.status == EmailStatus.SENT


# --- a changelist that stays cheap with 100,000 users ---------------------------------

# session, request.user, COUNT(*) for the paginator, the page of users, and the two
# date-hierarchy queries (MIN/MAX of created_at, then the distinct days).
CHANGELIST_QUERIES = 6


def changelist_query_count(client, per_page):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == per_page
    return len(ctx.captured_queries)


@pytest.mark.slow
def test_changelist_query_count_is_fixed_with_100k_users(admin_site_client, django_assert_max_num_queries, monkeypatch):
    call_command("seed_users", count=100_000, force=True, stdout=io.StringIO())
    assert User.objects.count() == 100_001
    # seed_users makes members only (staff need --staff and their own passwords): promote some.
    managers = list(User.objects.filter(email_verified=True).values_list("pk", flat=True)[:500])
    User.objects.filter(pk__in=managers).update(role=Role.MANAGER)

    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = admin_site_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == UserAdmin.list_per_page == 50

    counts = {}
    for per_page in (50, 200):
        monkeypatch.setattr(UserAdmin, "list_per_page", per_page)
        assert admin.site.get_model_admin(User).list_per_page == per_page
        counts[per_page] = changelist_query_count(admin_site_client, per_page)
    assert counts[50] == counts[200] <= CHANGELIST_QUERIES  # the same, whatever the page size

    response = admin_site_client.get(CHANGELIST, {"q": "example.com", "role__exact": Role.MANAGER, "p": "3"})
    assert response.status_code == 200
    assert {u.role for u in response.context["cl"].result_list} == {Role.MANAGER}


# --- truthful History, login messages, refusals ---------------------------------------


def history_messages(user):
    return [entry.get_change_message() for entry in LogEntry.objects.filter(object_id=str(user.pk))]


def test_change_form_history_says_what_changed(admin_site_client):
    member = UserFactory(first_name="Ann", bio="")
    response = admin_site_client.post(
        change_url(member), change_form_data(member, first_name="Anna", role=Role.MANAGER, bio="Hello")
    )
    assert response.status_code == 302
    [message] = history_messages(member)
    assert set(message.split("; ")) == {
        "First name: Ann → Anna",
        "Bio: (empty) → Hello",
        "Role: AUTHENTICATED → MANAGER",
    }
    history = admin_site_client.get(reverse("admin:users_user_history", args=[member.pk]))
    assert "Role: AUTHENTICATED → MANAGER" in history.content.decode()


def test_change_form_saved_without_changes_writes_no_history(admin_site_client):
    member = UserFactory()
    updated_at = member.updated_at
    assert admin_site_client.post(change_url(member), change_form_data(member)).status_code == 302
    assert history_messages(member) == []
    member.refresh_from_db()
    assert member.updated_at == updated_at


def test_password_change_is_recorded(admin_site_client):
    member = UserFactory()
    form = {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD, "usable_password": "true"}
    assert admin_site_client.post(password_url(member), form).status_code == 302
    assert history_messages(member) == ["Changed password."]


def test_groups_admin_is_gone(admin_site_client):
    from django.contrib.auth.models import Group

    assert not admin.site.is_registered(Group)
    assert "Groups" not in admin_site_client.get(reverse("admin:index")).content.decode()


def test_changelist_columns_are_compact(admin_site_client):
    UserFactory(unverified=True, last_login_at=None)
    response = admin_site_client.get(CHANGELIST)
    html = response.content.decode()
    headers = [str(header["text"]).lower() for header in response.context["result_headers"]]
    assert headers[1:] == ["email address", "nickname", "role", "verified", "locked", "pro", "last login", "joined"]
    assert "Anonymous (email not verified)" not in html
    assert re.search(r'class="field-joined">\d{4}-\d{2}-\d{2}<', html)


def test_role_filter_uses_short_labels(admin_site_client):
    response = admin_site_client.get(CHANGELIST, {"role__exact": Role.ANONYMOUS})
    [role_filter] = [spec for spec in response.context["cl"].filter_specs if spec.title == "role"]
    labels = [choice["display"] for choice in role_filter.choices(response.context["cl"])]
    assert labels == ["All", "Anonymous", "Authenticated", "Manager", "Admin"]


def test_show_all_lists_every_user(admin_site_client):
    UserFactory.create_batch(UserAdmin.list_per_page + 5)
    response = admin_site_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == UserAdmin.list_per_page
    assert "Show all" in response.content.decode()
    response = admin_site_client.get(CHANGELIST, {"all": ""})
    assert len(response.context["cl"].result_list) == UserAdmin.list_per_page + 6


def login_errors(client, email, password):
    response = client.post(LOGIN, {"username": email, "password": password, "next": CHANGELIST})
    assert response.status_code == 200
    assert client.get(CHANGELIST).status_code == 302
    return response.context["form"].non_field_errors()


GENERIC = "Please enter the correct email address and password for a staff account."


@pytest.mark.parametrize("traits", [{"admin": True}, {"manager": True}], ids=["admin", "manager"])
def test_admin_login_tells_a_locked_staff_member_why(client, traits):
    staff = UserFactory(locked=True, **traits)
    [error] = login_errors(client, staff.email, PASSWORD)
    assert "locked after too many failed logins" in error
    # A locked account's password is never checked (no guesses past the lock), so any
    # password gets the same answer, as the API's 400 "Account locked".
    [error] = login_errors(client, staff.email, "Wrong*Pass1")
    assert "locked after too many failed logins" in error


def test_admin_login_tells_an_unverified_staff_member_why(client):
    manager = UserFactory(manager=True, email_verified=False)
    [error] = login_errors(client, manager.email, PASSWORD)
    assert "not verified yet" in error
    [error] = login_errors(client, manager.email, "Wrong*Pass1")
    assert error.startswith(GENERIC)


@pytest.mark.parametrize(
    ("traits", "email"),
    [(None, "nobody@example.com"), ({"locked": True}, None), ({"unverified": True}, None), ({}, None)],
    ids=["unknown-email", "locked-member", "unverified-member", "member"],
)
def test_admin_login_keeps_the_generic_message(client, traits, email):
    if traits is not None:
        email = UserFactory(**traits).email
    [error] = login_errors(client, email, PASSWORD)
    assert error.startswith(GENERIC)


def test_admin_login_on_a_locked_account_counts_nothing(client, admin_user):
    User.objects.filter(pk=admin_user.pk).update(is_locked=True, failed_login_attempts=3)
    login_errors(client, admin_user.email, "Wrong*Pass1")
    admin_user.refresh_from_db()
    assert admin_user.failed_login_attempts == 3


@pytest.mark.parametrize(
    "url",
    [
        lambda admin_user: password_url(admin_user),
        lambda admin_user: delete_url(admin_user),
    ],
    ids=["password", "delete"],
)
def test_manager_refusal_is_a_styled_admin_page(manager_site_client, admin_user, url):
    response = manager_site_client.get(url(admin_user))
    assert response.status_code == 403
    assert "admin/users/user/forbidden.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "Event Manager administration" in html
    assert "Managers cannot change, delete or set the password of an admin account." in html
    assert 'href="/admin/users/user/"' in html
