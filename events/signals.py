"""Reacting to changes in lower layers without them importing events/."""

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .services import registrations_release_for_user


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="events.release_seats_of_deleted_user")
def release_seats_of_deleted_user(sender, instance, **kwargs):
    """A deleted account's seats go to the people waiting (see registrations_release_for_user)."""
    registrations_release_for_user(user=instance)
