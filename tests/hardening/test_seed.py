"""seed_users is safe: DEBUG or --force, no shared staff password, realistic spread."""

import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from users.management.commands.seed_users import DEFAULT_PASSWORD
from users.models import Role, User

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("seed_users", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_refused_with_debug_off_without_force(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        run("--count", "10")
    assert not User.objects.exists()


def test_runs_with_debug_on(settings):
    settings.DEBUG = True

    assert "Created 10 users" in run("--count", "10")


def test_no_staff_unless_asked(settings):
    settings.DEBUG = True
    run("--count", "300")

    assert not User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER]).exists()


def test_staff_get_their_own_random_password_shown_once(settings):
    settings.DEBUG = True

    output = run("--count", "5", "--staff", "3")

    staff = list(User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER]).order_by("email"))
    assert sorted(u.role for u in staff) == [Role.ADMIN, Role.MANAGER, Role.MANAGER]
    passwords = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in (Role.ADMIN, Role.MANAGER):
            passwords[parts[1]] = parts[2]
    assert len(passwords) == 3 and len(set(passwords.values())) == 3
    for user in staff:
        assert user.email_verified and not user.is_locked
        assert user.check_password(passwords[user.email])
        assert not user.check_password(DEFAULT_PASSWORD)
    assert len({u.password for u in staff}) == 3


def test_members_spread_over_two_years_with_some_locked_and_unverified(settings):
    settings.DEBUG = True
    run("--count", "1000", "--seed", "3")
    users = list(User.objects.all())
    now = timezone.now()

    created = [u.created_at for u in users]
    assert min(created) >= now - timedelta(days=731)
    assert max(created) - min(created) > timedelta(days=600)
    assert all(u.created_at <= u.updated_at <= now for u in users)
    locked = [u for u in users if u.is_locked]
    unverified = [u for u in users if not u.email_verified]
    assert 5 <= len(locked) <= 80
    assert 80 <= len(unverified) <= 250
    assert all(u.role == Role.ANONYMOUS for u in unverified)


def test_runs_without_a_fake_data_library_installed():
    """`make run` installs requirements.txt only: Faker is a test dependency."""
    code = (
        "import sys; sys.modules['faker'] = None\n"
        "import django; django.setup()\n"
        "import users.management.commands.seed_users\n"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "event_manager.settings", "DEBUG": "true", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == "ok", result.stderr
    requirements = (django_settings.BASE_DIR / "requirements.txt").read_text().lower()
    assert "faker" not in requirements


def _indexes():
    from django.db import connection

    with connection.cursor() as cursor:
        return {
            index
            for index, info in connection.introspection.get_constraints(cursor, User._meta.db_table).items()
            if info["index"]
        }


def test_a_large_load_leaves_every_index_and_the_user_count_in_place(settings, monkeypatch):
    """From REBUILD_INDEXES_FROM rows PostgreSQL's secondary indexes are dropped and rebuilt;
    SQLite's per-row count triggers are paused and the count redone."""
    from users.management.commands import seed_users

    settings.DEBUG = True
    monkeypatch.setattr(seed_users, "REBUILD_INDEXES_FROM", 10)
    before = _indexes()

    run("--count", "50", "--batch-size", "20")

    from users.models import UserCount

    assert _indexes() == before
    assert User.objects.count() == UserCount.objects.get().total == 50
    assert User.objects.filter(email__icontains="example.com").count() == 50
