"""Issue 15 item 5: a member's preferences list only the kinds that can reach them, each described;
and times in emails are shown in the recipient's zone with the zone's name."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template

from core.timezones import format_in_zone
from notifications.registry import Kind, kinds, register, unregister
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PREFS = "/users/me/notification-preferences"
STAFF_KIND = "tests.staff_only"
STAFF_ONLY = ("MANAGER", "ADMIN")


@pytest.fixture
def staff_kind():
    register(Kind(key=STAFF_KIND, label="Staff only", description="Only for staff.", roles=STAFF_ONLY))
    yield STAFF_KIND
    unregister(STAFF_KIND)


def listed(client):
    response = client.get(PREFS)
    assert response.status_code == 200
    return {item["kind"]: item for item in response.json()["preferences"]}


def test_a_member_is_not_offered_staff_kinds(client_for, staff_kind):
    member_kinds = listed(client_for(UserFactory()))
    assert staff_kind not in member_kinds
    assert not {"events.submitted", "events.approved", "events.rejected"} & set(member_kinds)
    assert {"events.registration_confirmed", "events.changed", "users.password_changed"} <= set(member_kinds)


@pytest.mark.parametrize("traits", [{"manager": True}, {"admin": True}], ids=["manager", "admin"])
def test_staff_are_offered_every_kind(client_for, staff_kind, traits):
    staff_kinds = listed(client_for(UserFactory(**traits)))
    assert {staff_kind, "events.submitted", "events.approved", "events.rejected"} <= set(staff_kinds)
    assert set(staff_kinds) == {kind.key for kind in kinds()}


def test_a_member_cannot_set_a_kind_that_never_reaches_them(client_for, staff_kind):
    response = client_for(UserFactory()).put(
        PREFS, {"preferences": [{"kind": "events.submitted", "email": False}]}, format="json"
    )
    assert response.status_code == 400
    assert "events.submitted is never sent to you." in str(response.json()["preferences"])


def test_every_kind_the_apps_register_has_a_one_line_description():
    registered = [kind for kind in kinds() if not kind.key.startswith("tests.")]  # conftest's throwaway kinds
    assert len(registered) > 10
    missing = [kind.key for kind in registered if not kind.description.strip() or "\n" in kind.description]
    assert missing == []


def test_kind_reaches_by_role():
    kind = Kind(key="tests.roles", label="Roles", roles=STAFF_ONLY)
    assert kind.reaches(UserFactory.build(role="MANAGER"))
    assert not kind.reaches(UserFactory.build(role="AUTHENTICATED"))
    assert not kind.reaches(None)
    assert Kind(key="tests.all", label="All").reaches(UserFactory.build(role="ANONYMOUS"))


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Paris", "Friday 14 June 2030, 19:00 (Europe/Paris)"),
        ("America/New_York", "Friday 14 June 2030, 13:00 (America/New_York)"),
        ("UTC", "Friday 14 June 2030, 17:00 (UTC)"),
        ("", "Friday 14 June 2030, 17:00 (UTC)"),  # settings.TIME_ZONE
    ],
)
def test_times_are_written_in_a_zone_with_its_name(zone, shown):
    moment = datetime(2030, 6, 14, 17, 0, tzinfo=UTC)
    assert format_in_zone(moment, zone) == shown
    assert format_in_zone(moment.isoformat(), zone) == shown  # as notices store it
    template = Template("{% load timezones %}{{ moment|in_zone:zone }}")
    assert template.render(Context({"moment": moment, "zone": zone})) == shown


def test_no_time_is_an_empty_string():
    assert format_in_zone(None, "Europe/Paris") == ""
    assert format_in_zone("not a time", "Europe/Paris") == ""


def test_the_digest_lists_its_items_in_the_recipients_zone(mailoutbox, django_capture_on_commit_callbacks):
    from notifications.models import NotificationPreference
    from notifications.registry import DAILY
    from notifications.services import digest_send, notify

    from .conftest import PLAIN

    member = UserFactory(time_zone="Asia/Tokyo")
    NotificationPreference.objects.create(user=member, kind=PLAIN, digest=DAILY)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=member, kind=PLAIN, context={"name": "Meetup", "starts": "18:00", "event_id": "x"})
    assert mailoutbox == []  # held for the digest
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(any_hour=True) == 1
    [digest] = mailoutbox
    assert "(Asia/Tokyo)" in digest.body and "(Asia/Tokyo)" in digest.alternatives[0][0]
    assert " UTC)" not in digest.body
