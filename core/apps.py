from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    """The lowest floor: request/response plumbing shared by every app. No models."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db.backends.signals import connection_created

        from .checks import recognise_subclassed_middleware
        from .metrics import install_query_counter
        from .observability import instrument_django
        from .retention import register_core_rules

        recognise_subclassed_middleware()
        if settings.METRICS_ENABLED:
            connection_created.connect(install_query_counter, dispatch_uid="core.metrics.query_counter")
        instrument_django()
        register_core_rules()
