"""A DomainError becomes its 4xx in one place: the exception handler."""

import pytest
from django.db import OperationalError
from rest_framework.test import APIRequestFactory

from core.api import APIView
from core.exceptions import DomainError, Unauthenticated


class Full(DomainError):
    status_code = 409
    message = "The event is full."


class WithField(DomainError):
    def body(self):
        return {"detail": self.message, "token": [self.message]}


def view_raising(exc):
    class Raising(APIView):
        permission_classes = []
        authentication_classes = []

        async def get(self, request):
            raise exc

    return Raising.as_view()


@pytest.mark.parametrize(
    ("exc", "status", "body", "challenge"),
    [
        (Full(), 409, {"detail": "The event is full."}, None),
        (Full("Only 0 seats left."), 409, {"detail": "Only 0 seats left."}, None),
        (DomainError("No.", status_code=404), 404, {"detail": "No."}, None),
        (DomainError(), 400, {"detail": "The request was refused."}, None),
        (Unauthenticated("Token is invalid or expired."), 401, {"detail": "Token is invalid or expired."}, "Bearer"),
        (WithField("Bad link."), 400, {"detail": "Bad link.", "token": ["Bad link."]}, None),
    ],
)
def test_domain_error_answers_its_status_and_body(exc, status, body, challenge):
    response = view_raising(exc)(APIRequestFactory().get("/"))
    assert response.status_code == status
    assert response.data == body
    assert response.get("WWW-Authenticate") == challenge


def test_a_status_given_at_raise_time_does_not_change_the_class():
    DomainError("x", status_code=418)
    assert DomainError.status_code == 400 and DomainError().status_code == 400


def test_database_down_is_a_503_with_retry_after():
    response = view_raising(OperationalError("connection refused"))(APIRequestFactory().get("/"))
    assert (response.status_code, response.data, response["Retry-After"]) == (
        503,
        {"detail": "Database unavailable."},
        "5",
    )
