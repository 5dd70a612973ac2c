"""The account services against the real database."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.models import EmailStatus, OutgoingEmail
from tests.factories import PASSWORD, UserFactory
from users import services
from users.models import Role, User
from users.notices import VERIFY_EMAIL
from users.services import (
    AccountLocked,
    InvalidCredentials,
    InvalidVerificationToken,
    user_create,
    user_delete,
    user_lock,
    user_login,
    user_mark_email_verified,
    user_register,
    user_resend_verification,
    user_set_professional,
    user_set_role,
    user_unlock,
    user_update,
    user_verify_email,
)
from users.services.validation import _save
from users.tokens import email_verification_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Secure*1234"
WRONG_PASSWORD = "Wrong*Pass1"


def error_fields(excinfo):
    return set(excinfo.value.message_dict)


# --- user_register / user_create ----------------------------------------------


def test_user_register_creates_anonymous_user_and_queues_email(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = user_register(email="Reg.User@Example.COM", password=NEW_PASSWORD, first_name="Reg")

    user.refresh_from_db()
    assert user.role == Role.ANONYMOUS
    assert user.email_verified is False
    assert user.email == "Reg.User@example.com"
    assert user.first_name == "Reg"
    assert user.nickname
    assert user.check_password(NEW_PASSWORD)
    assert user.password != NEW_PASSWORD
    email = OutgoingEmail.objects.get(user=user)
    assert (email.kind, email.status, email.to_address) == (VERIFY_EMAIL, EmailStatus.PENDING, user.email)
    assert len(callbacks) == 1
    assert mailoutbox == []


def test_user_register_reports_every_bad_field():
    with pytest.raises(ValidationError) as excinfo:
        user_register(
            email="bad",
            password="short",
            nickname="!",
            profile_picture_url="https://example.com/x.txt",
            linkedin_profile_url="ftp://x.example.com",
            github_profile_url="gopher://x.example.com",
            bio="x" * 501,
        )

    assert error_fields(excinfo) >= {
        "email",
        "password",
        "nickname",
        "profile_picture_url",
        "linkedin_profile_url",
        "github_profile_url",
        "bio",
    }
    assert not User.objects.exists()
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@example.com", "Taken@Example.Com"])
def test_user_register_duplicate_email(email):
    UserFactory(email="taken@example.com")

    with pytest.raises(ValidationError) as excinfo:
        user_register(email=email, password=NEW_PASSWORD)

    assert "Email already exists." in excinfo.value.message_dict["email"]


def test_user_register_refuses_unknown_fields():
    with pytest.raises(TypeError):
        user_register(email="x@example.com", password=NEW_PASSWORD, role=Role.ADMIN)
    assert not User.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_user_create_by_admin_honours_role(admin_user, role):
    user = user_create(actor=admin_user, email="new@example.com", password=NEW_PASSWORD, role=role)

    assert User.objects.get(pk=user.pk).role == role


@pytest.mark.parametrize("role", list(Role))
def test_user_create_by_manager_with_role_is_denied(manager_user, role):
    with pytest.raises(PermissionDenied):
        user_create(actor=manager_user, email="new@example.com", password=NEW_PASSWORD, role=role)

    assert not User.objects.filter(email="new@example.com").exists()


def test_user_create_by_manager_without_role(manager_user):
    user = user_create(actor=manager_user, email="new@example.com", password=NEW_PASSWORD)

    assert user.role == Role.ANONYMOUS
    assert OutgoingEmail.objects.filter(user=user).count() == 1


# --- user_update --------------------------------------------------------------


def test_user_update_changes_only_given_fields(admin_user, verified_user):
    before = User.objects.get(pk=verified_user.pk)

    user_update(actor=admin_user, user=verified_user, data={"bio": "New", "last_name": ""})

    after = User.objects.get(pk=verified_user.pk)
    assert (after.bio, after.last_name) == ("New", "")
    for field in ("email", "nickname", "first_name", "password", "role", "email_verified"):
        assert getattr(after, field) == getattr(before, field)


@pytest.mark.parametrize("target_fixture", ["verified_user", "manager_user"])
@pytest.mark.parametrize("role", list(Role))
def test_user_update_role_by_manager_is_denied(request, manager_user, target_fixture, role):
    target = request.getfixturevalue(target_fixture)
    original = target.role

    with pytest.raises(PermissionDenied):
        user_update(actor=manager_user, user=target, data={"role": role})

    assert User.objects.get(pk=target.pk).role == original


@pytest.mark.parametrize("data", [{"bio": "x"}, {"email": "other@example.com"}, {"role": Role.AUTHENTICATED}])
def test_user_update_by_manager_on_admin_is_denied(manager_user, admin_user, data):
    with pytest.raises(PermissionDenied):
        user_update(actor=manager_user, user=admin_user, data=data)

    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.email) == (Role.ADMIN, "admin.user@example.com")


def test_user_update_admin_sets_role(admin_user, verified_user):
    user_update(actor=admin_user, user=verified_user, data={"role": Role.MANAGER})

    assert User.objects.get(pk=verified_user.pk).role == Role.MANAGER


def test_user_update_admin_cannot_change_own_role(admin_user):
    with pytest.raises(ValidationError) as excinfo:
        user_update(actor=admin_user, user=admin_user, data={"role": Role.AUTHENTICATED})

    assert "role" in excinfo.value.message_dict
    assert User.objects.get(pk=admin_user.pk).role == Role.ADMIN


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "non_field_errors"),
        ({"email": "member9999@EXAMPLE.com"}, "email"),
        ({"nickname": "x"}, "nickname"),
        ({"first_name": "x" * 101}, "first_name"),
    ],
)
def test_user_update_validation(admin_user, verified_user, data, field):
    UserFactory(email="member9999@example.com")

    with pytest.raises(ValidationError) as excinfo:
        user_update(actor=admin_user, user=verified_user, data=data)

    assert field in excinfo.value.message_dict


def test_user_update_does_not_undo_a_concurrent_lock(admin_user, verified_user):
    """The view loads the user, then calls the service: a lock (or failed logins) committed
    in between must survive the update."""
    stale = User.objects.get(pk=verified_user.pk)
    User.objects.filter(pk=verified_user.pk).update(is_locked=True, failed_login_attempts=3)

    user_update(actor=admin_user, user=stale, data={"bio": "Edited"})

    fresh = User.objects.get(pk=verified_user.pk)
    assert fresh.bio == "Edited"
    assert fresh.is_locked is True
    assert fresh.failed_login_attempts == 3


def test_user_update_refuses_unknown_fields(admin_user, verified_user):
    with pytest.raises(TypeError):
        user_update(actor=admin_user, user=verified_user, data={"is_locked": True})


def test_user_set_role(admin_user, verified_user, manager_user):
    user_set_role(actor=admin_user, user=verified_user, role=Role.MANAGER)
    assert User.objects.get(pk=verified_user.pk).role == Role.MANAGER

    with pytest.raises(PermissionDenied):
        user_set_role(actor=manager_user, user=verified_user, role=Role.ADMIN)
    with pytest.raises(ValidationError):
        user_set_role(actor=admin_user, user=admin_user, role=Role.MANAGER)
    assert User.objects.get(pk=admin_user.pk).role == Role.ADMIN


# --- user_delete --------------------------------------------------------------


@pytest.mark.parametrize("actor_fixture", ["admin_user", "manager_user"])
def test_user_delete(request, actor_fixture, verified_user):
    actor = request.getfixturevalue(actor_fixture)
    OutgoingEmail.objects.create(user=verified_user, to_address=verified_user.email, kind=VERIFY_EMAIL)

    user_delete(actor=actor, user=verified_user)

    assert not User.objects.filter(pk=verified_user.pk).exists()
    assert not OutgoingEmail.objects.filter(user_id=verified_user.pk).exists()


def test_user_delete_by_manager_on_admin_is_denied(manager_user, admin_user):
    with pytest.raises(PermissionDenied):
        user_delete(actor=manager_user, user=admin_user)

    assert User.objects.filter(pk=admin_user.pk).exists()


@pytest.mark.parametrize("actor_fixture", ["admin_user", "manager_user"])
def test_user_delete_self_is_refused(request, actor_fixture):
    actor = request.getfixturevalue(actor_fixture)

    with pytest.raises(ValidationError):
        user_delete(actor=actor, user=actor)

    assert User.objects.filter(pk=actor.pk).exists()


# --- Email verification -------------------------------------------------------


def test_user_verify_email_is_single_use(unverified_user):
    token = email_verification_token.make_token(unverified_user)

    user = user_verify_email(user_id=unverified_user.pk, token=token)

    assert (user.email_verified, user.role) == (True, Role.AUTHENTICATED)
    fresh = User.objects.get(pk=unverified_user.pk)
    assert (fresh.email_verified, fresh.role) == (True, Role.AUTHENTICATED)
    with pytest.raises(InvalidVerificationToken):
        user_verify_email(user_id=unverified_user.pk, token=token)


@pytest.mark.parametrize(
    "make_args",
    [
        pytest.param(lambda user, token: {"user_id": user.pk, "token": "1-abc"}, id="wrong-token"),
        pytest.param(lambda user, token: {"user_id": user.pk, "token": ""}, id="empty-token"),
        pytest.param(lambda user, token: {"user_id": UserFactory(unverified=True).pk, "token": token}, id="other"),
        pytest.param(
            lambda user, token: {"user_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "token": token}, id="unknown"
        ),
    ],
)
def test_user_verify_email_rejects_wrong_links(unverified_user, make_args):
    token = email_verification_token.make_token(unverified_user)

    with pytest.raises(InvalidVerificationToken):
        user_verify_email(**make_args(unverified_user, token))

    assert User.objects.get(pk=unverified_user.pk).email_verified is False


def test_user_mark_email_verified(unverified_user):
    user_mark_email_verified(user=unverified_user)
    user_mark_email_verified(user=unverified_user)

    fresh = User.objects.get(pk=unverified_user.pk)
    assert (fresh.email_verified, fresh.role) == (True, Role.AUTHENTICATED)


def test_user_mark_email_verified_keeps_staff_role():
    manager = UserFactory(role=Role.MANAGER, email_verified=False)

    user_mark_email_verified(user=manager)

    assert User.objects.get(pk=manager.pk).role == Role.MANAGER


def test_user_resend_verification(unverified_user, verified_user, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        assert user_resend_verification(user=unverified_user) is True
        assert user_resend_verification(user=verified_user) is False

    assert OutgoingEmail.objects.filter(user=unverified_user).count() == 1
    assert not OutgoingEmail.objects.filter(user=verified_user).exists()
    assert [message.to for message in mailoutbox] == [[unverified_user.email]]


# --- Lock, unlock, professional status ----------------------------------------


def test_user_lock_and_unlock(verified_user):
    User.objects.filter(pk=verified_user.pk).update(failed_login_attempts=2)

    user_lock(user=verified_user)
    assert verified_user.is_locked is True
    assert User.objects.get(pk=verified_user.pk).is_locked is True
    with pytest.raises(AccountLocked):
        user_login(email=verified_user.email, password=PASSWORD)

    user_unlock(user=verified_user)
    fresh = User.objects.get(pk=verified_user.pk)
    assert (fresh.is_locked, fresh.failed_login_attempts) == (False, 0)
    assert user_login(email=verified_user.email, password=PASSWORD).pk == verified_user.pk


def test_user_set_professional(verified_user):
    assert verified_user.professional_status_updated_at is None

    user_set_professional(user=verified_user, is_professional=True)
    fresh = User.objects.get(pk=verified_user.pk)
    assert fresh.is_professional is True
    stamp = fresh.professional_status_updated_at
    assert stamp is not None

    user_set_professional(user=verified_user, is_professional=True)
    assert User.objects.get(pk=verified_user.pk).professional_status_updated_at == stamp

    user_set_professional(user=verified_user, is_professional=False)
    fresh = User.objects.get(pk=verified_user.pk)
    assert fresh.is_professional is False
    assert fresh.professional_status_updated_at >= stamp


# --- user_login ---------------------------------------------------------------


def test_user_login_success_resets_counter_and_sets_last_login():
    user = UserFactory(failed_login_attempts=2)
    before = timezone.now()

    logged_in = user_login(email=user.email.upper(), password=PASSWORD)

    assert logged_in.pk == user.pk
    fresh = User.objects.get(pk=user.pk)
    assert fresh.failed_login_attempts == 0
    assert before <= fresh.last_login_at <= timezone.now() + timedelta(seconds=1)


def test_user_login_wrong_password_counts(verified_user):
    with pytest.raises(InvalidCredentials) as excinfo:
        user_login(email=verified_user.email, password=WRONG_PASSWORD)

    assert excinfo.value.message == "Incorrect email or password."
    fresh = User.objects.get(pk=verified_user.pk)
    assert (fresh.failed_login_attempts, fresh.is_locked, fresh.last_login_at) == (1, False, None)


def test_user_login_unknown_email_still_hashes(monkeypatch, verified_user):
    calls = []
    original = User.set_password
    monkeypatch.setattr(User, "set_password", lambda self, raw: calls.append(raw) or original(self, raw))

    with pytest.raises(InvalidCredentials):
        user_login(email="nobody@example.com", password="Some*Password1")

    assert calls == ["Some*Password1"]
    assert User.objects.get(pk=verified_user.pk).failed_login_attempts == 0


def test_user_login_unverified_with_right_password_is_invalid_and_not_counted(unverified_user):
    with pytest.raises(InvalidCredentials):
        user_login(email=unverified_user.email, password=PASSWORD)

    fresh = User.objects.get(pk=unverified_user.pk)
    assert (fresh.failed_login_attempts, fresh.last_login_at) == (0, None)


def test_user_login_unverified_with_wrong_password_is_counted(unverified_user):
    with pytest.raises(InvalidCredentials):
        user_login(email=unverified_user.email, password=WRONG_PASSWORD)

    assert User.objects.get(pk=unverified_user.pk).failed_login_attempts == 1


@pytest.mark.parametrize("password", [PASSWORD, WRONG_PASSWORD])
def test_user_login_locked_account(locked_user, password):
    with pytest.raises(AccountLocked) as excinfo:
        user_login(email=locked_user.email, password=password)

    assert excinfo.value.message == "Account locked due to too many failed login attempts."
    assert excinfo.value.password_ok is False  # never checked: a lock buys no more guesses
    fresh = User.objects.get(pk=locked_user.pk)
    assert (fresh.failed_login_attempts, fresh.is_locked, fresh.last_login_at) == (3, True, None)


def test_user_login_unverified_with_the_right_password_is_told_apart_only_by_type(unverified_user):
    with pytest.raises(services.EmailNotVerified) as excinfo:
        user_login(email=unverified_user.email, password=PASSWORD)

    assert isinstance(excinfo.value, InvalidCredentials)
    assert excinfo.value.message == "Incorrect email or password."


@pytest.mark.parametrize(
    ("service", "traits", "first", "second"),
    [
        (lambda user: services.user_lock(user=user), {}, True, False),
        (lambda user: services.user_unlock(user=user), {"locked": True}, True, False),
        (lambda user: services.user_mark_email_verified(user=user), {"unverified": True}, True, False),
        (lambda user: services.user_set_professional(user=user, is_professional=True), {}, True, False),
    ],
    ids=["lock", "unlock", "mark-verified", "professional"],
)
def test_state_changes_report_whether_they_changed_anything(service, traits, first, second):
    user = UserFactory(**traits)

    assert service(user) is first
    updated_at = User.objects.get(pk=user.pk).updated_at
    assert service(User.objects.get(pk=user.pk)) is second
    assert User.objects.get(pk=user.pk).updated_at == updated_at


def test_user_set_role_to_the_same_role_writes_nothing(admin_user, verified_user):
    assert services.user_set_role(actor=admin_user, user=verified_user, role=Role.AUTHENTICATED) is False
    assert services.user_set_role(actor=admin_user, user=verified_user, role=Role.MANAGER) is True


@pytest.mark.parametrize("max_attempts", [1, 3, 5])
def test_user_login_locks_at_max_attempts(verified_user, settings, max_attempts):
    settings.MAX_LOGIN_ATTEMPTS = max_attempts

    for attempt in range(1, max_attempts + 1):
        assert User.objects.get(pk=verified_user.pk).is_locked is False
        with pytest.raises(InvalidCredentials):
            user_login(email=verified_user.email, password=WRONG_PASSWORD)
        assert User.objects.get(pk=verified_user.pk).failed_login_attempts == attempt

    assert User.objects.get(pk=verified_user.pk).is_locked is True
    with pytest.raises(AccountLocked):
        user_login(email=verified_user.email, password=PASSWORD)


# Concurrent wrong passwords: tests/users/test_lockout.py (16 at once, the password checks counted).


# --- Lost races on unique columns ---------------------------------------------


def test_save_turns_email_race_into_validation_error(verified_user):
    """`clean()` passed before the other row committed: the database constraint decides."""
    duplicate = User(email=verified_user.email.upper(), nickname="racer_one", role=Role.ANONYMOUS)
    duplicate.set_password(NEW_PASSWORD)

    with pytest.raises(ValidationError) as excinfo:
        _save(duplicate, force_insert=True)

    assert excinfo.value.message_dict == {"email": ["Email already exists."]}
    assert User.objects.by_email(verified_user.email).count() == 1


def test_save_turns_nickname_race_into_validation_error(verified_user):
    duplicate = User(email="racer@example.com", nickname=verified_user.nickname, role=Role.ANONYMOUS)
    duplicate.set_password(NEW_PASSWORD)

    with pytest.raises(ValidationError) as excinfo:
        _save(duplicate, force_insert=True)

    assert "nickname" in excinfo.value.message_dict


def test_save_race_leaves_the_transaction_usable(verified_user):
    duplicate = User(email=verified_user.email, nickname="racer_two", role=Role.ANONYMOUS)
    with transaction.atomic(), pytest.raises(ValidationError):
        _save(duplicate, force_insert=True)

    assert User.objects.count() == 1
