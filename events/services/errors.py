"""The refusals of the event services: `DomainError`s, which the API's exception
handler (`core.exceptions`) answers with their status code and `{"detail": message}`."""

from django.core.exceptions import PermissionDenied

from core.exceptions import DomainError

from ..models import Event
from ..rules import VERBS


class EventError(DomainError):
    """A domain rule refused the request: 400 unless a subclass says otherwise."""


class NotAllowed(EventError, PermissionDenied):
    """The actor may not do this (403). Still a Django `PermissionDenied`, so the
    admin and plain Django views answer it as they always have."""

    status_code = 403


class InvalidTransition(EventError):
    """The event's status does not allow the move; the body names the current status."""

    def __init__(self, event: Event, target: str):
        self.current = event.status
        verb = VERBS.get(target, target)
        super().__init__(f"Cannot {verb} an event that is {event.status}.")

    def body(self) -> dict:
        return {**super().body(), "status": self.current}


class RegistrationRefused(EventError):
    """Not verified, not a professional, outside the window, past or cancelled event."""


class CheckInRefused(EventError):
    """Check-in outside its window (`rules.check_in_window`) or on a cancelled event (400)."""


class AlreadyRegistered(EventError):
    status_code = 409


class NotRegistered(EventError):
    status_code = 404


class EventNotFound(EventError):
    """No such event, or one the actor may not see (the API answers 404 for both)."""

    status_code = 404
    message = "No Event matches the given query."
