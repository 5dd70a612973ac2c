"""The refusals of the second-factor services (`DomainError`s: a 4xx in the API, a form
error in the admin and member pages). Each names the field it is about (`field`), and
the API's body names it too, as a validation error would."""

from core.exceptions import DomainError


class FactorError(DomainError):
    field = "non_field_errors"

    def body(self) -> dict:
        return {"detail": self.message, self.field: [self.message]}


class WrongPassword(FactorError):
    message = "The password is not correct."
    field = "password"


class InvalidCode(FactorError):
    message = "The code is not correct (or was already used)."
    field = "code"


class InvalidCurrentCode(InvalidCode):
    """The code of a factor the user already has, asked for while adding another."""

    field = "current_code"


class InvalidNewCode(InvalidCode):
    """The first code of the authenticator app being set up: it proves the app was set
    up right, not who the caller is (the caller was given its key)."""


class AlreadyEnrolled(FactorError):
    message = "An authenticator app is already set up; remove it first to set up another."
    field = "code"


class NotEnrolled(FactorError):
    message = "There is no authenticator app to remove."
    field = "code"
