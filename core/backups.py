"""Backups that restore: PostgreSQL with pg_dump's custom format, SQLite with its
online backup API. Used by `manage.py backup` and `manage.py restore`.

A backup is written beside its destination and renamed into place when complete,
readable by its owner only (it holds password hashes and email addresses).
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.db.backends.postgresql.client import DatabaseClient

POSTGRES_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
EXTENSIONS = {"postgresql": "dump", "sqlite": "sqlite3"}


class BackupError(Exception):
    """What went wrong, in words an operator can act on."""


def default_path(directory: Path, connection) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(directory) / f"event_manager-{stamp}.{_extension(connection)}"


def _extension(connection) -> str:
    try:
        return EXTENSIONS[connection.vendor]
    except KeyError:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.") from None


def backup(connection, path: Path) -> Path:
    """Write a consistent copy of the database behind `connection` to `path`."""
    _extension(connection)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    try:
        if connection.vendor == "postgresql":
            _postgres("pg_dump", connection, "--format=custom", f"--file={partial}")
        else:
            _sqlite_backup(connection, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore(connection, path: Path) -> None:
    """Replace the content of the database behind `connection` with the backup at `path`."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    kind = "postgresql" if head.startswith(POSTGRES_MAGIC) else "sqlite" if head == SQLITE_MAGIC else None
    if kind is None:
        raise BackupError(f"{path} is neither a pg_dump custom-format archive nor a SQLite database.")
    if kind != connection.vendor:
        raise BackupError(f"{path} is a {kind} backup; this database is {connection.vendor}.")
    if kind == "postgresql":
        connection.close()
        _postgres(
            "pg_restore",
            connection,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(path),
        )
    else:
        _sqlite_restore(connection, path)


def _postgres(tool: str, connection, *arguments: str) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} was not found on PATH. Install PostgreSQL's client programs "
            f"(Debian: apt-get install postgresql-client), of the server's major version or newer."
        )
    settings = connection.settings_dict
    args = [executable]
    for flag, key in (("--username", "USER"), ("--host", "HOST"), ("--port", "PORT")):
        if settings.get(key):
            args.append(f"{flag}={settings[key]}")
    if settings.get("NAME"):
        args.append(f"--dbname={settings['NAME']}")
    # Password, SSL files, service and passfile, as `manage.py dbshell` passes them.
    _, extra_env = DatabaseClient.settings_to_cmd_args_env(settings, [])
    command = [*args, *arguments]
    env = {**os.environ, **(extra_env or {})}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - no shell
    if result.returncode != 0:
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")


def _sqlite_backup(connection, destination: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(destination)
    try:
        connection.connection.backup(target)
    finally:
        target.close()


def _sqlite_restore(connection, source_path: Path) -> None:
    source = sqlite3.connect(source_path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        [(verdict,)] = source.execute("PRAGMA quick_check").fetchall()
        if verdict != "ok":
            raise BackupError(f"{source_path} is damaged: {verdict}")
        connection.ensure_connection()
        source.backup(connection.connection)
    finally:
        source.close()
