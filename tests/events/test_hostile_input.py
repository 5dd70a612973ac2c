"""Event bodies that parse as JSON but not as the fields they claim to be: 400s naming the field."""

import pytest

from tests.events.conftest import EventFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value", ["2024-01-01T12:99:00Z", "2024-02-30T10:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T10:00:00+25:00"]
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_impossible_datetimes_are_a_400_naming_the_field(admin_client_api, method, value):
    event = EventFactory()

    response = getattr(admin_client_api, method)(f"/events/{event.pk}", {"starts_at": value}, format="json")

    assert response.status_code == 400, response.content
    assert "starts_at" in response.json()


def test_impossible_datetime_on_create_is_a_400(admin_client_api):
    body = {"title": "T", "location": "Here", "starts_at": "2024-01-01T25:00:00Z", "ends_at": "2024-01-01T26:00:00Z"}

    response = admin_client_api.post("/events/", body, format="json")

    assert response.status_code == 400
    assert {"starts_at", "ends_at"} <= set(response.json())


def test_unpaired_surrogates_in_text_are_refused_not_a_500(admin_client_api):
    event = EventFactory()

    response = admin_client_api.patch(
        f"/events/{event.pk}",
        data='{"location": "Vj\\ud93b end"}',
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
