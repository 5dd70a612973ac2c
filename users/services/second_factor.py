"""Second factors seen from accounts: changing one's own factors as a counted attempt,
and an ADMIN resetting another user's factors."""

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

from core.exceptions import DomainError
from mfa import services as mfa
from mfa.errors import InvalidCode, InvalidNewCode, WrongPassword

from ..models import User
from .errors import AccountLocked
from .login import _lock_if_spent, _reserve_attempt
from .sessions import end_all_sessions

T = TypeVar("T")

# The refusals that are a wrong guess of a secret: counted like a wrong password at login.
# The first code of an app being set up is not one (the caller was just given its key).
WRONG_PROOF = (WrongPassword, InvalidCode)


class NotAllowedToReset(DomainError):
    status_code = 403
    message = "Only an ADMIN may reset another user's second factors."


def factor_change(change: Callable[..., T], /, *, user: User, **kwargs) -> T:
    """Run `change(user=user, **kwargs)`, one of mfa's services that take the password and
    a code (`totp_confirm`, `totp_remove`, `recovery_codes_regenerate`,
    `passkeys.passkey_remove`), as a sign-in attempt: counted toward MAX_LOGIN_ATTEMPTS by
    the login's own conditional UPDATE, in the same transaction. A wrong password or code
    stays counted (its refusal is raised after the count is committed) and the one that
    spends the budget locks the account, ends its sessions and tells the owner, as at
    sign-in; a success gives the budget back; any other refusal (nothing to remove, already
    set up, the new app's first code) is not counted. A locked account: AccountLocked."""
    refused, result = _counted(change, user, kwargs)
    if refused is not None:
        raise refused
    return result


@transaction.atomic
def _counted(change, user, kwargs):
    if not _reserve_attempt(user):
        return AccountLocked(), None
    try:
        result = change(user=user, **kwargs)
    except InvalidNewCode:
        raise  # rolls the count back with the rest
    except WRONG_PROOF as exc:
        _lock_if_spent(user)
        return exc, None
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0)
    return None, result


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
