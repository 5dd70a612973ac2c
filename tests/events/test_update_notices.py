"""An approved event's edits, as its registrants hear of them (issue 17 item 2): the non-critical
ones (`events.updated`) may wait for the digest, a change of time or place (`events.changed`)
goes at once, the link to join reaches seat holders only, and every edit is one notice per
person, through the API's PATCH and the admin's change form alike."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import services
from events.models import Registration, RegistrationStatus
from notifications.models import EmailStatus, Notification, NotificationPreference, OutgoingEmail
from notifications.registry import DAILY, IMMEDIATELY, get_kind
from notifications.services import digest_send
from tests.events.conftest import EventFactory
from tests.events.test_admin import change_form, change_url
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

UPDATED, CHANGED, PROMOTED = "events.updated", "events.changed", "events.promoted"
PREFS = "/users/me/notification-preferences"
LINK = "https://meet.example.com/first"


@pytest.fixture
def people():
    """An online event with one seat holder (of 1 seat) and one person waiting; its creator and an admin."""
    creator = UserFactory(role=Role.MANAGER)
    event = EventFactory(created_by=creator, capacity=1, online_url=LINK, title="Robots", requirements="A laptop.")
    seated, waiting = UserFactory(), UserFactory()
    services.registration_create(actor=seated, event_id=event.pk)
    services.registration_create(actor=waiting, event_id=event.pk)
    assert Registration.objects.get(user=waiting).status == RegistrationStatus.WAITLISTED
    Notification.objects.all().delete()
    OutgoingEmail.objects.all().delete()
    return {"event": event, "creator": creator, "seated": seated, "waiting": waiting, "admin": UserFactory(admin=True)}


def notices_of(user, kind=None):
    rows = Notification.objects.filter(recipient=user).exclude(kind="events.submitted")
    return list(rows.filter(kind=kind) if kind else rows)


def emails_of(user, kind):
    return list(OutgoingEmail.objects.filter(user=user, kind=kind))


def patch(client_for, user, event, data):
    response = client_for(user).patch(f"/events/{event.pk}", data, format="json")
    assert response.status_code == 200, response.content
    return response


def test_a_title_and_description_edit_is_one_notice_each_naming_the_fields(client_for, people):
    event = people["event"]
    patch(client_for, people["creator"], event, {"title": "Robots, revised", "description": "Now with a demo."})

    for person in (people["seated"], people["waiting"]):
        [notice] = notices_of(person)
        assert notice.kind == UPDATED and notice.title == "Updated: Robots, revised"
        assert "- Title: Robots, revised (was: Robots)" in notice.body
        assert "- Description: updated" in notice.body
        assert "title" not in notice.body and "description" not in notice.body  # labels, not keys
        assert LINK not in notice.body
        [email] = emails_of(person, UPDATED)
        assert email.status == EmailStatus.HELD  # the daily digest by default
    assert notices_of(people["creator"]) == []
    event.refresh_from_db()
    assert event.status == "APPROVED" and event.sequence == 0


def test_the_held_edit_goes_out_in_the_digest_and_an_immediate_choice_at_once(
    client_for, people, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_DIGEST_TIME = "00:00"
    NotificationPreference.objects.create(user=people["waiting"], kind=UPDATED, digest=IMMEDIATELY)
    with django_capture_on_commit_callbacks(execute=True):
        patch(client_for, people["creator"], people["event"], {"requirements": "A laptop and a charger."})
    [at_once] = mailoutbox
    assert at_once.to == [people["waiting"].email] and at_once.subject.startswith("Updated: Robots")
    assert "Participation requirements: updated" in at_once.body

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=timezone.now() + timedelta(days=1)) == 1
    digest = mailoutbox[-1]
    assert digest.to == [people["seated"].email] and "Updated: Robots" in digest.body


@pytest.mark.parametrize(
    "edit",
    [
        lambda event: {"title": "Robots"},  # the same value
        lambda event: {"members_only": True},  # who may see it: nothing changes for someone with a place
        lambda event: {"registration_closes_at": (event.starts_at - timedelta(hours=1)).isoformat()},
    ],
    ids=["same-title", "members-only", "registration-window"],
)
def test_no_notice_when_nothing_a_registrant_sees_changed(client_for, people, edit):
    data = edit(people["event"])
    patch(client_for, people["creator"], people["event"], data)
    assert notices_of(people["seated"]) == [] and notices_of(people["waiting"]) == []
    assert not OutgoingEmail.objects.exists()


def test_a_new_link_goes_at_once_to_seat_holders_only(client_for, people):
    event, new_link = people["event"], "https://meet.example.com/second"
    patch(client_for, people["admin"], event, {"online_url": new_link})

    [notice] = notices_of(people["seated"])
    assert notice.kind == CHANGED
    assert "The link to join online changed." in notice.body and f"Join online: {new_link}" in notice.body
    [email] = emails_of(people["seated"], CHANGED)
    assert email.status == EmailStatus.PENDING and email.context["online_url"] == new_link
    assert notices_of(people["waiting"]) == [] and not OutgoingEmail.objects.filter(user=people["waiting"]).exists()


def test_a_new_link_and_title_one_notice_each_and_no_link_for_the_waiting_list(client_for, people):
    event, new_link = people["event"], "https://meet.example.com/second"
    patch(client_for, people["admin"], event, {"online_url": new_link, "title": "Robots II"})

    [seated] = notices_of(people["seated"])
    assert seated.kind == CHANGED and new_link in seated.body
    assert "Also changed:\n- Title: Robots II (was: Robots)" in seated.body
    [waiting] = notices_of(people["waiting"])
    assert waiting.kind == UPDATED and "- Title: Robots II (was: Robots)" in waiting.body
    for email in OutgoingEmail.objects.filter(user=people["waiting"]):
        assert "meet.example.com" not in str(email.context)
    assert "meet.example.com" not in waiting.body


def test_a_new_time_with_other_edits_is_one_urgent_change(client_for, people):
    event = people["event"]
    later = {"starts_at": (event.starts_at + timedelta(hours=1)).isoformat(), "title": "Robots at noon"}
    patch(client_for, people["admin"], event, later)
    for person, link_shown in ((people["seated"], True), (people["waiting"], False)):
        [notice] = notices_of(person)
        assert notice.kind == CHANGED and "The time or place changed." in notice.body
        assert "Also changed:\n- Title: Robots at noon (was: Robots)" in notice.body
        assert (LINK in notice.body) is link_shown
        assert [email.status for email in emails_of(person, CHANGED)] == [EmailStatus.PENDING]


def test_more_seats_promote_the_waiting_who_hear_it_once(client_for, people):
    patch(client_for, people["admin"], people["event"], {"capacity": 3})
    assert [notice.kind for notice in notices_of(people["waiting"])] == [PROMOTED]
    [notice] = notices_of(people["seated"])
    assert notice.kind == UPDATED and "- Capacity: 3 (was: 1)" in notice.body


def test_no_notice_for_an_event_that_was_not_approved(client_for, people):
    event = EventFactory(status="DRAFT", created_by=people["creator"])
    patch(client_for, people["creator"], event, {"title": "Draft title"})
    assert not Notification.objects.exists() and not OutgoingEmail.objects.exists()


def test_an_edit_while_back_in_review_is_told_and_says_registration_is_paused(client_for, people):
    # A manager moves the event (back to review: members still see it, registration paused),
    # then renames it before anyone approves: registrants see the new title on the event page,
    # so they hear of it too, once, and are not told a second time when it is approved.
    event, other = people["event"], UserFactory(role=Role.MANAGER)
    patch(client_for, people["creator"], event, {"location": "Room 9"})
    event.refresh_from_db()
    assert event.status == "PENDING"
    Notification.objects.all().delete()
    patch(client_for, people["creator"], event, {"title": "Robots, moved"})
    for person in (people["seated"], people["waiting"]):
        [notice] = notices_of(person)
        assert notice.kind == UPDATED and "- Title: Robots, moved (was: Robots)" in notice.body
        assert "registration is paused until it is approved" in notice.body
    response = client_for(other).post(f"/events/{event.pk}/approve", {}, format="json")
    assert response.status_code == 200, response.content
    assert [n.kind for n in notices_of(people["seated"])] == [UPDATED]


def test_the_admin_change_form_sends_the_same_notice(admin_site_client, people):
    event = people["event"]
    response = admin_site_client.post(change_url(event), change_form(event, title="Robots (room change soon)"))
    assert response.status_code == 302
    for person in (people["seated"], people["waiting"]):
        [notice] = notices_of(person)
        assert notice.kind == UPDATED and "- Title: Robots (room change soon) (was: Robots)" in notice.body


def test_a_member_sees_it_in_preferences_with_a_description_and_daily_by_default(client_for, people):
    response = client_for(people["seated"]).get(PREFS)
    assert response.status_code == 200
    item = next(item for item in response.json()["preferences"] if item["kind"] == UPDATED)
    assert item["label"] == "An event you registered for was updated"
    assert item["description"] and not item["mandatory"] and not item["urgent"]
    assert item["digest"] == DAILY and item["digest_choices"] == [IMMEDIATELY, DAILY]
    assert item["email"] is True and item["in_app"] is True
    assert get_kind(UPDATED).digestible


def test_unsubscribing_stops_its_email_and_keeps_the_in_app_notice(
    client, client_for, people, mailoutbox, django_capture_on_commit_callbacks
):
    seated = people["seated"]
    NotificationPreference.objects.create(user=seated, kind=UPDATED, digest=IMMEDIATELY)
    with django_capture_on_commit_callbacks(execute=True):
        patch(client_for, people["creator"], people["event"], {"description": "First edit."})
    [mail] = [mail for mail in mailoutbox if mail.to == [seated.email]]
    link = re.fullmatch(r"<https?://[^/]+(/app/unsubscribe/[^>]+)>", mail.extra_headers["List-Unsubscribe"]).group(1)
    assert client.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert NotificationPreference.objects.get(user=seated, kind=UPDATED).email is False

    patch(client_for, people["creator"], people["event"], {"description": "Second edit."})
    assert len(notices_of(seated, UPDATED)) == 2
    assert len(emails_of(seated, UPDATED)) == 1  # the first one only


def _full_event(creator, seats: int):
    """An approved event with `seats` seat holders and one person waiting."""
    event = EventFactory(created_by=creator, capacity=seats)
    for _ in range(seats + 1):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    return event


def _patch_title(client, event, seats):
    response = client.patch(f"/events/{event.pk}", {"title": f"Robots for {seats}"}, format="json")
    assert response.status_code == 200


def test_the_patch_costs_the_same_queries_for_3_or_30_registrants(client_for, people, django_assert_num_queries):
    """The notices are written in bulk (notify_many: a FanOut row for the worker beyond
    NOTIFICATIONS_FANOUT_INLINE_MAX), so the count does not grow with the registrants."""
    client = client_for(people["creator"])
    few, many = _full_event(people["creator"], 3), _full_event(people["creator"], 30)
    with CaptureQueriesContext(connection) as queries:
        _patch_title(client, few, 3)
    with django_assert_num_queries(len(queries)):
        _patch_title(client, many, 30)
    for seats in (3, 30):
        told = Notification.objects.filter(kind=UPDATED, title=f"Updated: Robots for {seats}")
        assert told.count() == seats + 1
