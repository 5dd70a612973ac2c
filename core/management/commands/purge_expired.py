from django.core.management.base import BaseCommand

from core.retention import purge


class Command(BaseCommand):
    help = (
        "Delete what the retention settings say the service no longer keeps (read in-app notifications, "
        "sent emails, expired sessions, refresh tokens and cache rows), in small batches. The audit trail "
        "is never deleted. The worker runs this every RETENTION_INTERVAL seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per DELETE (RETENTION_BATCH_SIZE).")

    def handle(self, *args, batch_size=None, **options):
        for rule, deleted in purge(batch_size=batch_size).items():
            self.stdout.write(f"{rule}: {deleted} deleted")
