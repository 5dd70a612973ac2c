from datetime import timedelta

from celery.schedules import crontab
from django.apps import AppConfig
from django.conf import settings

from .registry import periodic


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        periodic(
            "notifications.sweep",
            task="notifications.tasks.sweep_emails",
            schedule=timedelta(seconds=settings.NOTIFICATIONS_SWEEP_INTERVAL),
        )
        periodic("notifications.digests", task="notifications.tasks.send_digests", schedule=crontab(hour=7, minute=0))
