from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The lowest floor: request/response plumbing shared by every app. No models."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from .checks import recognise_subclassed_middleware

        recognise_subclassed_middleware()
