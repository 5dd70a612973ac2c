from django.core.management.base import BaseCommand

from notifications.services import digest_send


class Command(BaseCommand):
    help = (
        "Send the daily digest: one email per member gathering the notifications they asked to get daily. "
        "Safe to run more than once a day (one digest per member per UTC day)."
    )

    def handle(self, *args, **options):
        made = digest_send()
        self.stdout.write(f"Queued {made} digest(s).")
