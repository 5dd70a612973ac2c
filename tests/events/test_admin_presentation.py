"""What staff see of events in the admin: the list's order, the add form, the workflow buttons,
the confirmation pages and History (issue 17, item 8)."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from events.models import EventStatus
from tests.events.conftest import EventFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/events/event/"
ADD = "/admin/events/event/add/"


def change_url(event):
    return f"/admin/events/event/{event.pk}/change/"


def review_url(event, verb):
    return f"/admin/events/event/{event.pk}/review/{verb}/"


def at(days, **kwargs):
    starts = timezone.now() + timedelta(days=days)
    return {"starts_at": starts, "ends_at": starts + timedelta(hours=2), **kwargs}


def test_the_list_shows_upcoming_events_soonest_first_then_past_ones_latest_first(admin_site_client):
    far_draft = EventFactory(title="Far-future draft", status=EventStatus.DRAFT, **at(400))
    next_week = EventFactory(title="Next week", **at(7))
    tomorrow = EventFactory(title="Tomorrow", **at(1))
    running = EventFactory(
        title="Running now", starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    last_month = EventFactory(title="Last month", **at(-30))
    yesterday = EventFactory(title="Yesterday", **at(-1))

    listed = admin_site_client.get(CHANGELIST).context["cl"].result_list

    assert [event.pk for event in listed] == [
        running.pk,
        tomorrow.pk,
        next_week.pk,
        far_draft.pk,
        yesterday.pk,
        last_month.pk,
    ]


def test_a_column_header_still_sorts(admin_site_client):
    early, late = EventFactory(**at(2)), EventFactory(**at(9))
    by_start_descending = admin_site_client.get(CHANGELIST, {"o": "-4"}).context["cl"].result_list
    assert [event.pk for event in by_start_descending] == [late.pk, early.pk]


def test_the_add_form_has_no_empty_read_only_sections_and_says_location(admin_site_client):
    page = admin_site_client.get(ADD)
    names = [name for name, _ in page.context["adminform"].fieldsets]
    fields = [field for _, options in page.context["adminform"].fieldsets for field in options["fields"]]
    html = page.content.decode()

    assert "Review" not in names and "Record" not in names
    assert not {"status", "seats_taken", "slug", "created_at", "tools"} & set(fields)
    assert '<label for="id_location">Location:</label>' in html
    assert ">Address" not in html


def test_the_change_page_keeps_every_section(admin_site_client):
    event = EventFactory()
    names = [name for name, _ in admin_site_client.get(change_url(event)).context["adminform"].fieldsets]
    assert {"Review", "Record"} <= set(names)


def test_the_change_page_shows_the_status_and_the_workflow_as_buttons(manager_site_client, admin_user):
    event = EventFactory(status=EventStatus.PENDING, created_by=admin_user, submitted_by=admin_user)
    html = manager_site_client.get(change_url(event)).content.decode()

    assert '<strong class="event-status event-status-pending" id="event-status">Pending review</strong>' in html
    assert f'<a href="{review_url(event, "approve")}" class="button event-approve default">' in html
    assert f'<a href="{review_url(event, "reject")}" class="button event-reject">' in html
    assert f'<a href="{review_url(event, "cancel")}" class="button event-cancel">' in html


def test_approving_from_the_event_page_is_not_a_delete_page_and_goes_back_to_the_event(manager_site_client, admin_user):
    event = EventFactory(title="Robotics lab tour", status=EventStatus.PENDING, created_by=admin_user)
    page = manager_site_client.get(review_url(event, "approve"))
    html = page.content.decode()

    assert page.context["title"] == "Approve event"
    assert "delete-confirmation" not in html.split("<body", 1)[1].split(">", 1)[0]
    assert 'value="Approve this event" class="default"' in html
    assert f'<a href="{change_url(event)}" class="button cancel-link">No, take me back</a>' in html


def test_cancelling_keeps_the_warning_style(manager_site_client, admin_user):
    event = EventFactory(created_by=admin_user)
    page = manager_site_client.get(review_url(event, "cancel"))
    assert page.context["title"] == "Cancel event"
    assert "delete-confirmation" in page.content.decode().split("<body", 1)[1].split(">", 1)[0]


def test_the_bulk_action_page_says_how_many_and_goes_back_to_the_list(admin_site_client, manager_user):
    events = [EventFactory(status=EventStatus.PENDING, created_by=manager_user) for _ in range(2)]
    page = admin_site_client.post(
        CHANGELIST, {"action": "approve_events", "_selected_action": [str(event.pk) for event in events]}
    )
    assert page.context["title"] == "Approve 2 events"
    assert f'<a href="{CHANGELIST}" class="button cancel-link">No, take me back</a>' in page.content.decode()


def test_an_approval_in_the_admin_shows_in_history_and_recent_actions(manager_site_client, manager_user, admin_user):
    event = EventFactory(title="Mock interviews", status=EventStatus.PENDING, created_by=admin_user)

    done = manager_site_client.post(review_url(event, "approve"), {"apply": "1", "feedback": "Looks good"})
    assert done.status_code == 302 and done["Location"] == change_url(event)

    entry = LogEntry.objects.get(object_id=str(event.pk))
    assert (entry.user_id, entry.get_change_message()) == (manager_user.pk, "Approved. Feedback: Looks good")
    history = manager_site_client.get(f"/admin/events/event/{event.pk}/history/")
    html = history.content.decode()
    assert "Approved. Feedback: Looks good" in html  # Django's History
    actions = [row.action for row, _ in history.context["audit_trail"]]
    assert actions == ["event.approved"]  # the factory wrote the event directly: no earlier rows
    assert 'id="event-audit-trail"' in html and "event.approved" in html
    home = manager_site_client.get("/admin/").content.decode()
    assert "Mock interviews" in home.split('id="recent-actions-module"', 1)[1]


def test_a_refused_approval_is_not_logged(manager_site_client, manager_user):
    own = EventFactory(status=EventStatus.PENDING, created_by=manager_user, submitted_by=manager_user)
    manager_site_client.post(review_url(own, "approve"), {"apply": "1", "feedback": ""})
    assert not LogEntry.objects.filter(object_id=str(own.pk)).exists()


@pytest.mark.parametrize("tail", ["not-an-id/change/", "00000000-0000-0000-0000-000000000000/change/"])
def test_a_malformed_or_unknown_id_is_not_a_server_error(admin_site_client, tail):
    response = admin_site_client.get(CHANGELIST + tail)
    assert response.status_code == 302  # Django's "doesn't exist. Perhaps it was deleted?"
    assert response["Location"] == "/admin/"
