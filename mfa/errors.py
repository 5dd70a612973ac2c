"""The refusals of the second-factor services (`DomainError`s: a 4xx in the API, a form
error in the admin pages)."""

from core.exceptions import DomainError


class WrongPassword(DomainError):
    message = "The password is not correct."
    field = "password"


class InvalidCode(DomainError):
    message = "The code is not correct (or was already used)."
    field = "code"


class AlreadyEnrolled(DomainError):
    message = "An authenticator app is already set up; remove it first to set up another."
    field = "code"


class NotEnrolled(DomainError):
    message = "There is no authenticator app to remove."
    field = "code"
