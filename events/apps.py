from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "Events"

    def ready(self):
        from . import signals  # noqa: F401 - connects the account-deletion hook
        from .notices import register_kinds, register_periodic

        register_kinds()
        register_periodic()
