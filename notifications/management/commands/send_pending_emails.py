from datetime import timedelta

from django.core.management.base import BaseCommand

from notifications.services import email_requeue_unsent


class Command(BaseCommand):
    help = "Queue again every outgoing email that is still pending or failed (e.g. after an SMTP outage)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=60,
            metavar="SECONDS",
            help="Only emails created at least this many seconds ago (default 60).",
        )

    def handle(self, *args, older_than, **options):
        count = email_requeue_unsent(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"Queued {count} email(s).")
