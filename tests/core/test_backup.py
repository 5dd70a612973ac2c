"""`manage.py backup` and `restore`: SQLite here (the PostgreSQL round trip is in
tests/integration/test_backup.py), and how pg_dump/pg_restore are called."""

import stat
import subprocess
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import ConnectionHandler

from core import backups
from users.models import User


@pytest.fixture
def sqlite_db(tmp_path, django_db_blocker):
    """A SQLite database of its own (not the suite's), whatever database the suite runs on."""
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "a.db")}})
    db = handler["default"]
    with django_db_blocker.unblock():
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE member (id INTEGER PRIMARY KEY, email TEXT)")
            cursor.executemany("INSERT INTO member (email) VALUES (%s)", [(f"m{i}@example.com",) for i in range(50)])
        yield db
        db.close()


def _members(db):
    with db.cursor() as cursor:
        cursor.execute("SELECT id, email FROM member ORDER BY id")
        return cursor.fetchall()


def test_sqlite_round_trip(sqlite_db, tmp_path):
    before = _members(sqlite_db)
    path = backups.backup(sqlite_db, tmp_path / "backups" / "one.sqlite3")
    with sqlite_db.cursor() as cursor:
        cursor.execute("DELETE FROM member WHERE id > 10")
        cursor.execute("UPDATE member SET email = 'changed@example.com'")
    backups.restore(sqlite_db, path)
    assert _members(sqlite_db) == before


def test_a_backup_is_private_and_complete_or_absent(sqlite_db, tmp_path):
    path = backups.backup(sqlite_db, tmp_path / "b.sqlite3")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [file.name for file in tmp_path.iterdir() if file.name.startswith("b.")] == ["b.sqlite3"]


def test_default_path_is_timestamped_in_the_backup_dir(sqlite_db, tmp_path):
    path = backups.default_path(tmp_path, sqlite_db)
    assert path.parent == tmp_path
    assert path.name.startswith("event_manager-")
    assert path.suffix == ".sqlite3"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PGDMP\x01\x0e\x00", "is a postgresql backup; this database is sqlite"),
        (b"not a database at all", "neither a pg_dump custom-format archive nor a SQLite database"),
    ],
)
def test_restore_refuses_what_it_cannot_restore(sqlite_db, tmp_path, content, message):
    path = tmp_path / "wrong"
    path.write_bytes(content)
    with pytest.raises(backups.BackupError, match=message):
        backups.restore(sqlite_db, path)
    assert len(_members(sqlite_db)) == 50


def test_restore_of_a_missing_file(sqlite_db, tmp_path):
    with pytest.raises(backups.BackupError, match="No backup at"):
        backups.restore(sqlite_db, tmp_path / "nothing.sqlite3")


def _postgres_connection():
    settings = {"NAME": "event_manager", "USER": "app", "PASSWORD": "s3cret!", "HOST": "db", "PORT": 5432}
    return SimpleNamespace(vendor="postgresql", settings_dict={**settings, "OPTIONS": {"sslmode": "require"}})


def test_without_pg_dump_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(backups.shutil, "which", lambda name: None)
    with pytest.raises(backups.BackupError, match=r"pg_dump was not found on PATH.*apt-get install postgresql-client"):
        backups.backup(_postgres_connection(), tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


def test_pg_dump_gets_the_password_in_its_environment_not_its_arguments(monkeypatch, tmp_path):
    calls = []

    def run(command, env, **kwargs):
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backups.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backups.subprocess, "run", run)
    backups.backup(_postgres_connection(), tmp_path / "x.dump")
    [(command, env)] = calls
    assert command[0] == "/usr/bin/pg_dump"
    assert {"--format=custom", "--username=app", "--host=db", "--port=5432", "--dbname=event_manager"} <= set(command)
    assert not any("s3cret" in argument for argument in command)
    assert (env["PGPASSWORD"], env["PGSSLMODE"]) == ("s3cret!", "require")


def test_a_failing_pg_dump_says_why(monkeypatch, tmp_path):
    monkeypatch.setattr(backups.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        backups.subprocess,
        "run",
        lambda command, **kwargs: subprocess.CompletedProcess(command, 1, "", "server version mismatch"),
    )
    with pytest.raises(backups.BackupError, match=r"pg_dump failed \(1\): server version mismatch"):
        backups.backup(_postgres_connection(), tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


# --- The commands, on the suite's database when it is SQLite ---------------------------------


@pytest.fixture
def suite_on_sqlite(transactional_db):
    """Marked `sqlite`: on PostgreSQL these are deselected; tests/integration/test_backup.py restores there."""
    assert connection.vendor == "sqlite"


@pytest.mark.sqlite
def test_backup_and_restore_commands(suite_on_sqlite, user, tmp_path, capsys):
    path = tmp_path / "suite.sqlite3"
    call_command("backup", output=str(path))
    assert capsys.readouterr().out.strip() == str(path)
    User.objects.all().delete()
    call_command("restore", str(path), interactive=False)
    assert "Now run `manage.py migrate`" in capsys.readouterr().out
    assert list(User.objects.values_list("email", flat=True)) == [user.email]


@pytest.mark.sqlite
def test_restore_asks_first(suite_on_sqlite, user, tmp_path, monkeypatch):
    path = tmp_path / "suite.sqlite3"
    call_command("backup", output=str(path))
    User.objects.all().delete()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", str(path))
    assert not User.objects.exists()


@pytest.mark.sqlite
def test_the_command_turns_errors_into_command_errors(suite_on_sqlite, tmp_path):
    with pytest.raises(CommandError, match="No backup at"):
        call_command("restore", str(tmp_path / "missing.sqlite3"), interactive=False)
