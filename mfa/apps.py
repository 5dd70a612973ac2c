from django.apps import AppConfig


class MfaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mfa"
    verbose_name = "Two-factor sign-in"

    def ready(self):
        from .notices import register_kinds

        register_kinds()
