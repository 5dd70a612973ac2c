"""The refusals of the account services: `DomainError`s, which the API's exception
handler (`core.exceptions`) answers once with their status, body and headers."""

from core.exceptions import DomainError, Unauthenticated


class InvalidCredentials(Unauthenticated):
    """Unknown email, wrong password or unverified email: the caller cannot tell which."""

    message = "Incorrect email or password."


class EmailNotVerified(InvalidCredentials):
    """The right password for an address not verified yet (the API answers as for a wrong one)."""


class SecondFactorRequired(InvalidCredentials):
    """The right password of a user with a second factor, without a code: a 401 whose
    body says so with a stable `code`, never a token."""

    message = "A one-time code is required: send the code from your authenticator app (or a recovery code) as otp."
    code = "otp_required"

    def body(self) -> dict:
        return {"detail": self.message, "code": self.code}


class SecondFactorInvalid(SecondFactorRequired):
    message = "The one-time code is not correct (or was already used)."
    code = "otp_invalid"


class AccountLocked(DomainError):
    message = "Account locked due to too many failed login attempts."

    def __init__(self, *, password_ok: bool = False):
        super().__init__()
        self.password_ok = password_ok


class InvalidVerificationToken(DomainError):
    """`reason`: "invalid", "expired" or "used" (the address is already verified)."""

    MESSAGES = {
        "invalid": "Invalid or expired verification link.",
        "expired": "This verification link has expired; request a new one.",
        "used": "Email already verified: this link was already used.",
    }

    def __init__(self, reason: str = "invalid"):
        self.reason = reason
        super().__init__(self.MESSAGES[reason])


class InvalidRefreshToken(Unauthenticated):
    message = "Token is invalid or expired."


class InvalidResetLink(DomainError):
    """Named as a fault of the `token` field too, as a validation error would be."""

    message = "Invalid or expired password reset link."

    def body(self) -> dict:
        return {"detail": self.message, "token": [self.message]}
