from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .counting import ensure_triggers


def _ensure_user_count_triggers(sender, using="default", **kwargs):
    ensure_triggers(using)


def _register_passkey_method():
    """The second step's passkey button (mfa.methods), for users who have a passkey."""
    from mfa import passkeys
    from mfa.methods import Method, register

    register(
        Method(
            key="passkey",
            label="Passkey",
            hint="Use the button below, then this device's screen lock or your security key.",
            available=passkeys.has_passkey,
            template="users/passkeys/method.html",
        )
    )


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
        _register_passkey_method()
        post_migrate.connect(_ensure_user_count_triggers, sender=self)
