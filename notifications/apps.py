from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings

from .registry import periodic


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import metrics  # noqa: F401 - registers the outbox gauges read at each scrape
        from .retention import register_rules

        register_rules()
        periodic(
            "retention",
            task="core.tasks.purge_expired",
            schedule=timedelta(seconds=settings.RETENTION_INTERVAL),
        )
        periodic(
            "notifications.sweep",
            task="notifications.tasks.sweep_emails",
            schedule=timedelta(seconds=settings.NOTIFICATIONS_SWEEP_INTERVAL),
        )
        # Each recipient's digest is due at NOTIFICATIONS_DIGEST_TIME in their own time zone:
        # beat looks for due ones every NOTIFICATIONS_DIGEST_INTERVAL seconds.
        periodic(
            "notifications.digests",
            task="notifications.tasks.send_digests",
            schedule=timedelta(seconds=settings.NOTIFICATIONS_DIGEST_INTERVAL),
        )
