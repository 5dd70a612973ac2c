from django.core.management.base import BaseCommand

from events.services import reminders_send


class Command(BaseCommand):
    help = (
        "Email everyone holding a seat for an event that starts within EVENTS_REMINDER_LEAD_HOURS (24 by default). "
        "Idempotent: nobody is reminded twice. Run it from cron when no Celery beat runs."
    )

    def handle(self, *args, **options):
        sent = reminders_send()
        self.stdout.write(f"Reminded {sent} {'person' if sent == 1 else 'people'}.")
