from celery import shared_task

from .services import reminders_send


@shared_task
def send_reminders() -> int:
    """Beat, every EVENTS_REMINDER_INTERVAL: remind seat holders of events starting within a day."""
    return reminders_send()
