from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core.backups import BackupError, backup, default_path


class Command(BaseCommand):
    help = (
        "Back up the database: pg_dump's custom format on PostgreSQL, SQLite's online backup "
        "on SQLite. Writes to --output, or a timestamped file in BACKUP_DIR; prints the path."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="The file to write (default: BACKUP_DIR/event_manager-<time>.*).")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database alias (default: default).")

    def handle(self, *args, output=None, database=DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        try:
            path = backup(connection, output or default_path(settings.BACKUP_DIR, connection))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
