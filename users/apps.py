from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .counting import ensure_triggers


def _ensure_user_count_triggers(sender, using="default", **kwargs):
    ensure_triggers(using)


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"
    verbose_name = "Users"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .notices import register_kinds
        from .staff_session import on_login

        register_kinds()
        user_logged_in.connect(on_login, dispatch_uid="users.staff_session.on_login")
        post_migrate.connect(_ensure_user_count_triggers, sender=self)
