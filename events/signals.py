"""Reacting to changes in lower layers without them importing events/."""

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from users.signals import account_closed

from .services import registrations_release_for_user


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="events.release_seats_of_deleted_user")
def release_seats_of_deleted_user(sender, instance, **kwargs):
    """A deleted account's seats go to the people waiting (see registrations_release_for_user)."""
    registrations_release_for_user(user=instance)


@receiver(account_closed, dispatch_uid="events.release_seats_of_closed_account")
def release_seats_of_closed_account(sender, user, **kwargs):
    """A closed account (anonymised, not deleted) gives its seats back the same way."""
    registrations_release_for_user(user=user)
