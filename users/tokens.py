"""Tokens in email links: signed, expiring, single-use, never stored.

Like Django's password reset tokens, each hashes the state that using it
changes, so a used token fails by itself with no extra column.
"""

import copy

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class _CheckedTokenGenerator(PasswordResetTokenGenerator):
    """`check()` tells an expired token from an invalid one; `timeout` picks the setting."""

    timeout_setting = "PASSWORD_RESET_TIMEOUT"

    def check(self, user, token) -> str:
        """ "ok", "expired" or "invalid"."""
        if not (user and token and isinstance(token, str)):
            return "invalid"
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return "invalid"
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return "invalid"
        if self._num_seconds(self._now()) - ts > getattr(settings, self.timeout_setting):
            return "expired"
        return "ok"

    def check_token(self, user, token):
        return self.check(user, token) == "ok"


class EmailVerificationTokenGenerator(_CheckedTokenGenerator):
    """Hashes `email_verified` and the address: once the email is verified (or
    changed) every earlier token fails. Valid EMAIL_VERIFICATION_TIMEOUT seconds."""

    key_salt = "users.tokens.EmailVerificationTokenGenerator"
    timeout_setting = "EMAIL_VERIFICATION_TIMEOUT"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified}{timestamp}"

    def was_used(self, user, token) -> bool:
        """Whether `token` was a valid link for this address before it was verified."""
        if not user.email_verified:
            return False
        before = copy.copy(user)
        before.email_verified = False
        return self.check(before, token) == "ok"


class EmailChangeTokenGenerator(_CheckedTokenGenerator):
    """Confirms a new address a member asked for (`pending_email`). Hashes the
    pending address, so the link only confirms the address it was sent to, and
    stops working once used or once another address is asked for."""

    key_salt = "users.tokens.EmailChangeTokenGenerator"
    timeout_setting = "EMAIL_VERIFICATION_TIMEOUT"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.pending_email}{timestamp}"

    def make_token_for(self, user, address: str) -> str:
        target = copy.copy(user)
        target.pending_email = address
        return self.make_token(target)

    def was_used(self, user, token) -> bool:
        """Whether `token` confirmed the current address (it is used once the address changed)."""
        if user.pending_email:
            return False
        before = copy.copy(user)
        before.pending_email = user.email
        return self.check(before, token) == "ok"


email_verification_token = EmailVerificationTokenGenerator()
email_change_token = EmailChangeTokenGenerator()
