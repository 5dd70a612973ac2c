from django.core.management.base import BaseCommand

from notifications.services import digest_send


class Command(BaseCommand):
    help = (
        "Send the daily digests that are due: one email per member gathering the notifications they asked "
        "to get daily, once NOTIFICATIONS_DIGEST_TIME has passed in the member's time zone. Safe to run "
        "any number of times (one digest per member per local day); the worker runs it on its own."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--any-hour", action="store_true", help="Do not wait for the digest time (still one per member per day)."
        )

    def handle(self, *args, **options):
        made = digest_send(any_hour=options["any_hour"])
        self.stdout.write(f"Queued {made} digest(s).")
