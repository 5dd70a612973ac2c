from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import EmailStatus, OutgoingEmail
from tests.factories import PASSWORD, UserFactory
from users.management.commands.create_demo_admin import DEMO_EMAIL, DEMO_PASSWORD
from users.management.commands.seed_users import DEFAULT_PASSWORD
from users.models import Role, User
from users.notices import VERIFY_EMAIL

pytestmark = pytest.mark.django_db


def run(*args, **options):
    """Run a management command; return what it printed."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# --- seed_users ---------------------------------------------------------------------


@pytest.fixture
def seeded():
    output = run("seed_users", "--count", "500", "--force")
    return output, list(User.objects.all())


def test_seed_users_creates_the_requested_count(seeded):
    output, users = seeded
    assert len(users) == 500
    assert "Created 500 users" in output
    assert DEFAULT_PASSWORD in output


def test_seed_users_emails_and_nicknames_are_unique(seeded):
    _, users = seeded
    assert len({u.email.lower() for u in users}) == 500
    assert len({u.nickname for u in users}) == 500


def test_seed_users_share_one_usable_password(seeded):
    _, users = seeded
    assert len({u.password for u in users}) == 1
    assert users[0].has_usable_password()
    assert users[0].check_password(DEFAULT_PASSWORD)
    assert not users[0].check_password(PASSWORD)


def test_seed_users_mixes_roles_consistently(seeded):
    _, users = seeded
    roles = Counter(u.role for u in users)
    assert set(roles) == {Role.AUTHENTICATED, Role.ANONYMOUS}  # staff only with --staff
    assert roles.most_common(1)[0][0] == Role.AUTHENTICATED
    assert all(u.email_verified is (u.role != Role.ANONYMOUS) for u in users)
    professionals = [u for u in users if u.is_professional]
    assert professionals and all(u.professional_status_updated_at for u in professionals)


def test_seeded_users_pass_model_validation(seeded):
    _, users = seeded
    for user in users:
        user.full_clean()


def test_seed_users_can_run_twice():
    run("seed_users", count=100, force=True)
    run("seed_users", count=100, force=True)
    assert User.objects.count() == 200


def test_seed_users_custom_password():
    run("seed_users", count=3, password="Other*Pass42", force=True)
    assert all(u.check_password("Other*Pass42") for u in User.objects.all())


def test_seed_users_seed_repeats_the_data():
    run("seed_users", count=20, seed=7, force=True)
    first = list(User.objects.order_by("email").values_list("first_name", "last_name", "bio"))
    User.objects.all().delete()
    run("seed_users", count=20, seed=7, force=True)
    second = list(User.objects.order_by("email").values_list("first_name", "last_name", "bio"))
    assert sorted(first) == sorted(second)


def test_seed_users_batches_across_batch_size():
    run("seed_users", count=25, batch_size=10, force=True)
    assert User.objects.count() == 25


def test_seed_users_zero_creates_none():
    assert "Created 0 users" in run("seed_users", count=0, force=True)
    assert not User.objects.exists()


@pytest.mark.parametrize("args", [["--count", "-1"], ["--count", "-500"], ["--batch-size", "0"]])
def test_seed_users_refuses_bad_numbers(args):
    with pytest.raises(CommandError, match="--count must be >= 0"):
        run("seed_users", *args, "--force")
    assert not User.objects.exists()


# --- createsuperuser ------------------------------------------------------------------


@pytest.fixture
def superuser_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    return PASSWORD


def test_createsuperuser_noinput_makes_verified_admin(superuser_password):
    output = run("createsuperuser", "--noinput", "--email", "Boss@Example.COM")
    assert "Superuser created successfully." in output
    user = User.objects.get()
    assert user.email == "Boss@example.com"
    assert (user.role, user.email_verified, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True, True)
    assert user.check_password(superuser_password)
    assert user.nickname


@pytest.mark.parametrize("email", ["boss@example.com", "BOSS@EXAMPLE.COM", "Boss@example.com"])
def test_createsuperuser_refuses_existing_email_in_any_case(superuser_password, email):
    UserFactory(email="boss@example.com")
    with pytest.raises(CommandError, match="already"):
        run("createsuperuser", "--noinput", "--email", email)
    assert User.objects.count() == 1
    assert User.objects.get().role == Role.AUTHENTICATED


def test_createsuperuser_refuses_invalid_email(superuser_password):
    with pytest.raises(CommandError):
        run("createsuperuser", "--noinput", "--email", "not-an-email")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "why"),
    [("...", "too short"), ("password123", "too common"), ("84736291045", "entirely numeric"), ("boss.example", "")],
)
def test_createsuperuser_noinput_refuses_a_password_the_validators_refuse(monkeypatch, password, why):
    """Django skips AUTH_PASSWORD_VALIDATORS with --noinput; the manager does not."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    with pytest.raises(CommandError, match=f"The password is refused: .*{why}"):
        run("createsuperuser", "--noinput", "--email", "boss@example.com")
    assert not User.objects.exists()


# --- create_demo_admin ----------------------------------------------------------------


def test_create_demo_admin_creates_admin_and_prints_credentials(settings):
    settings.DEBUG = True
    output = run("create_demo_admin")
    assert DEMO_EMAIL in output and DEMO_PASSWORD in output
    user = User.objects.get(email=DEMO_EMAIL)
    assert (user.role, user.email_verified, user.is_locked) == (Role.ADMIN, True, False)
    assert user.check_password(DEMO_PASSWORD)


def test_create_demo_admin_resets_existing_account(settings):
    settings.DEBUG = True
    existing = UserFactory(email="Admin@Example.com", unverified=True, locked=True)
    run("create_demo_admin")
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.role, existing.email_verified, existing.is_locked) == (Role.ADMIN, True, False)
    assert existing.failed_login_attempts == 0
    assert existing.check_password(DEMO_PASSWORD)


def test_create_demo_admin_is_idempotent(settings):
    settings.DEBUG = True
    run("create_demo_admin")
    run("create_demo_admin")
    assert User.objects.by_email(DEMO_EMAIL).count() == 1


def test_create_demo_admin_when_its_nickname_is_taken(settings):
    settings.DEBUG = True
    UserFactory(nickname="demo_admin")
    assert DEMO_EMAIL in run("create_demo_admin")
    demo = User.objects.get(email=DEMO_EMAIL)
    assert (demo.role, demo.email_verified) == (Role.ADMIN, True)
    assert demo.check_password(DEMO_PASSWORD)


def test_create_demo_admin_refused_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("create_demo_admin")
    assert not User.objects.exists()


# --- send_pending_emails ----------------------------------------------------------------


def make_email(user, status, age=timedelta(hours=1)):
    email = OutgoingEmail.objects.create(user=user, to_address=user.email, kind=VERIFY_EMAIL, status=status)
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - age)
    return email


def test_send_pending_emails_requeues_pending_and_failed(mailoutbox):
    pending = make_email(UserFactory(unverified=True, email="pending@example.com"), EmailStatus.PENDING)
    failed = make_email(UserFactory(unverified=True, email="failed@example.com"), EmailStatus.FAILED)
    sent = make_email(UserFactory(unverified=True, email="sent@example.com"), EmailStatus.SENT)
    output = run("send_pending_emails")
    assert "Queued 2 email(s)." in output
    assert sorted(m.to[0] for m in mailoutbox) == ["failed@example.com", "pending@example.com"]
    assert all("/verify-email/" in m.body for m in mailoutbox)
    for email in (pending, failed):
        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    sent.refresh_from_db()
    assert sent.attempts == 0


def test_send_pending_emails_skips_recent_ones_by_default(mailoutbox):
    make_email(UserFactory(unverified=True), EmailStatus.PENDING, age=timedelta(0))
    assert "Queued 0 email(s)." in run("send_pending_emails")
    assert mailoutbox == []
    assert "Queued 1 email(s)." in run("send_pending_emails", "--older-than", "0")
    assert len(mailoutbox) == 1
