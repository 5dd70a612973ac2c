"""POST /notifications/read-all with the database connection terminated at each point of the
request (`tests.connection_faults`): a 200 only when the notifications are read in the
database, with the count it holds, a 503 only when they are not (issue 19, item 5). Under
WSGI and ASGI; PostgreSQL only."""

from types import SimpleNamespace

import pytest

from notifications.models import Notification
from tests.connection_faults import each_point
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_read_all(client_for):
    def setup():
        user = UserFactory()
        Notification.objects.bulk_create(
            Notification(recipient=user, kind="users.professional_granted", title=f"Notice {index}")
            for index in range(2)
        )
        return SimpleNamespace(user=user, client=client_for(user))

    def request(state):
        return state.client.post("/notifications/read-all")

    def check(state, response):
        unread = Notification.objects.filter(recipient=state.user, read_at__isnull=True).count()
        assert response.status_code == (200 if unread == 0 else 503), (response.status_code, response.data)
        if response.status_code == 200:
            assert response.json() == {"marked_read": 2, "unread_count": 0}
        else:
            assert unread == 2  # all or nothing

    seen = each_point(setup, request, check)
    assert {status for _, status in seen} == {200, 503}
