"""Staff and second factors: an ADMIN resets another user's factors."""

from django.db import transaction

from core.exceptions import DomainError
from mfa import services as mfa

from ..models import User
from .sessions import end_all_sessions


class NotAllowedToReset(DomainError):
    status_code = 403
    message = "Only an ADMIN may reset another user's second factors."


@transaction.atomic
def user_reset_factors(*, actor: User, user: User) -> int:
    """Delete every second factor and recovery code of `user` and end all their sessions
    (API tokens and admin sessions); audited and told to the user by email and in-app.
    Returns how many devices were removed. The user signs in with the password next
    and, if staff with STAFF_MFA_REQUIRED, enrols again."""
    if not actor.is_admin:
        raise NotAllowedToReset()
    removed = mfa.factors_delete(actor=actor, user=user)
    end_all_sessions(user, reason="factors_reset")
    return removed
