"""One error shape for the whole API: a human-readable `detail`, plus the
offending fields (`{"field": ["message"]}`) beside it for validation errors.

Services refuse with a `DomainError` subclass carrying its status code; this
handler is the one place that turns it into a 4xx, so views need no
`try/except` ladders.
"""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def _messages(errors, prefix=""):
    """Flatten DRF's nested error structure into 'field: message' strings."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            name = "" if field == api_settings.NON_FIELD_ERRORS_KEY else field
            yield from _messages(value, f"{prefix}.{name}" if prefix and name else prefix or name)
    elif isinstance(errors, list):
        for item in errors:
            yield from _messages(item, prefix)
    else:
        yield f"{prefix}: {errors}" if prefix else str(errors)


# The name operators alert on ("Database unavailable"): kept from before the move to core/.
logger = logging.getLogger("event_manager.exceptions")


class DomainError(Exception):
    """A domain rule refused the request: the API answers `status_code` with
    `{"detail": message}` (plus `fields`, each `{"field": [message]}`) and `headers`.

    Subclasses set `status_code` and a default `message`; raise with a specific
    message where the rule has one to give."""

    status_code = 400
    message = "The request was refused."
    headers: dict[str, str] = {}

    def __init__(self, message: str | None = None, *, status_code: int | None = None):
        self.message = message or type(self).message
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message)

    def body(self) -> dict:
        return {"detail": self.message}


class Unauthenticated(DomainError):
    """401 with the `WWW-Authenticate: Bearer` challenge that RFC 6750 asks for."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


# The database did not answer (refused, gone, locked): a temporary condition, not a bug.
DATABASE_DOWN = (OperationalError, InterfaceError)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.body(), status=exc.status_code, headers=exc.headers or None)
    if isinstance(exc, DATABASE_DOWN):
        logger.warning("Database unavailable: %s: %s", type(exc).__name__, exc)
        body = {"detail": "Database unavailable."}
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.ValidationError):
        return response
    errors = response.data if isinstance(response.data, dict) else {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    response.data = {"detail": " ".join(_messages(errors)) or "Invalid input.", **errors}
    return response
