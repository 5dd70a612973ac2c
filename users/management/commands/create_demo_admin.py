from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from users.models import Role, User

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "Demo*Admin1"
# Not "demo_admin": the password validators (which create_superuser runs) find DEMO_PASSWORD too similar.
DEMO_NICKNAME = "demo_host"


class Command(BaseCommand):
    help = "Create (or reset) a local demo ADMIN and print its credentials. Refused when DEBUG is off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create a demo admin with DEBUG off; use `manage.py createsuperuser`.")
        user = User.objects.by_email(DEMO_EMAIL).first()
        if user is None:
            nickname = "" if User.objects.filter(nickname=DEMO_NICKNAME).exists() else DEMO_NICKNAME
            User.objects.create_superuser(DEMO_EMAIL, DEMO_PASSWORD, nickname=nickname)
        else:
            user.set_password(DEMO_PASSWORD)
            user.role, user.email_verified, user.is_locked, user.failed_login_attempts = Role.ADMIN, True, False, 0
            user.save()
        self.stdout.write(self.style.SUCCESS(f"Demo admin: {DEMO_EMAIL} / {DEMO_PASSWORD}"))
