from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from celery.schedules import crontab

        from .registry import periodic

        periodic(
            "notifications.sweep",
            task="notifications.tasks.sweep_emails",
            schedule=timedelta(seconds=settings.NOTIFICATIONS_SWEEP_INTERVAL),
        )
        periodic("notifications.digests", task="notifications.tasks.send_digests", schedule=crontab(hour=7, minute=0))
