"""The events admin through the test client, as a logged-in manager or admin."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from events import services
from events.models import Event, EventStatus, Registration, RegistrationStatus
from notifications.models import OutgoingEmail
from tests.events.conftest import EventFactory, future
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/events/event/"


def change_url(event):
    return f"/admin/events/event/{event.pk}/change/"


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _split(name, value):
    local = timezone.localtime(value) if value else None
    return {
        f"{name}_0": local.strftime("%Y-%m-%d") if local else "",
        f"{name}_1": local.strftime("%H:%M:%S") if local else "",
    }


def change_form(event, *, check_in=(), **overrides):
    """The POST body of the event's change form (with its registrations inline), with overrides."""
    values = {
        "title": event.title,
        "kind": event.kind,
        "description": event.description,
        "requirements": event.requirements,
        "location": event.location,
        "online_url": event.online_url,
        "capacity": "" if event.capacity is None else str(event.capacity),
    }
    if event.pro_only:
        values["pro_only"] = "on"
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        values.update(_split(name, overrides.pop(name, getattr(event, name))))
    values.update(overrides)
    registrations = list(Registration.objects.filter(event=event))
    values.update(
        {
            "registrations-TOTAL_FORMS": str(len(registrations)),
            "registrations-INITIAL_FORMS": str(len(registrations)),
            "registrations-MIN_NUM_FORMS": "0",
            "registrations-MAX_NUM_FORMS": "1000",
        }
    )
    for index, registration in enumerate(registrations):
        values[f"registrations-{index}-id"] = str(registration.pk)
        values[f"registrations-{index}-event"] = str(event.pk)
        if registration.user_id in check_in:
            values[f"registrations-{index}-check_in"] = "on"
    return values


def act(client, action, events, **extra):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [str(e.pk) for e in events], **extra})


# --- home and list --------------------------------------------------------------------


def test_manager_home_counts_events_waiting_for_their_review(manager_site_client, manager_user, admin_user):
    EventFactory(status=EventStatus.PENDING, created_by=admin_user, submitted_by=admin_user)
    EventFactory(status=EventStatus.PENDING, created_by=admin_user, submitted_by=admin_user)
    EventFactory(status=EventStatus.PENDING, created_by=manager_user, submitted_by=manager_user)  # their own
    EventFactory(status=EventStatus.APPROVED, created_by=admin_user)
    response = manager_site_client.get("/admin/")
    assert response.status_code == 200
    assert "2 events waiting for your review" in response.content.decode()
    listed = manager_site_client.get(f"{CHANGELIST}?review=mine")
    assert len(listed.context["cl"].result_list) == 2


def test_no_banner_when_nothing_waits(admin_site_client):
    assert "waiting for your review" not in admin_site_client.get("/admin/").content.decode()


def test_members_cannot_open_the_events_admin(client):
    client.force_login(UserFactory(role=Role.AUTHENTICATED))
    assert client.get(CHANGELIST).status_code == 302  # to the admin login


def test_changelist_columns_filters_search_and_dates(admin_site_client):
    event = EventFactory(title="Tour of the robotics lab", capacity=3)
    for _ in range(4):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    EventFactory(
        title="Old lecture", starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=29)
    )
    EventFactory(title="Unlimited", capacity=None)
    response = admin_site_client.get(CHANGELIST)
    page = response.content.decode()
    assert response.status_code == 200
    assert "3/3" in page and "3/∞" not in page and "0/∞" in page
    for query, titles in [
        ("q=robotics", {"Tour of the robotics lab"}),
        ("when=past", {"Old lecture"}),
        ("when=upcoming", {"Tour of the robotics lab", "Unlimited"}),
        ("status__exact=APPROVED&kind__exact=GUEST_LECTURE", {"Tour of the robotics lab", "Old lecture", "Unlimited"}),
        (f"starts_at__year={event.starts_at.year}&starts_at__month={event.starts_at.month}", None),
    ]:
        listed = admin_site_client.get(f"{CHANGELIST}?{query}")
        assert listed.status_code == 200, query
        if titles is not None:
            assert {e.title for e in listed.context["cl"].result_list} == titles, query
    [row] = [e for e in response.context["cl"].result_list if e.pk == event.pk]
    assert row.waiting_count == 1


def test_changelist_query_count_does_not_grow(admin_site_client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_site_client.get(CHANGELIST).status_code == 200
        return len(queries)

    EventFactory.create_batch(2)
    few = count()
    EventFactory.create_batch(20)
    assert count() == few


# --- review actions with an intermediate page ---------------------------------------------


def test_approve_asks_then_approves_through_the_service(manager_site_client, manager_user, admin_user):
    event = EventFactory(status=EventStatus.PENDING, created_by=admin_user, submitted_by=admin_user, published_at=None)
    page = act(manager_site_client, "approve_events", [event])
    assert page.status_code == 200
    assert "Note for the creator" in page.content.decode()
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING  # nothing happens before the page is confirmed

    done = act(manager_site_client, "approve_events", [event], apply="1", feedback="Looks good.")
    assert done.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.reviewed_by, event.review_feedback) == (
        EventStatus.APPROVED,
        manager_user,
        "Looks good.",
    )
    assert AuditEvent.objects.filter(action="event.approved", actor=manager_user).exists()
    assert OutgoingEmail.objects.filter(user=admin_user, kind="events.approved").exists()


def test_the_creator_cannot_approve_their_own_in_the_admin(manager_site_client, manager_user):
    event = EventFactory(status=EventStatus.PENDING, created_by=manager_user, submitted_by=manager_user)
    page = act(manager_site_client, "approve_events", [event])
    assert "another manager or an admin must review" in page.content.decode()
    done = act(manager_site_client, "approve_events", [event], apply="1")
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING
    assert any("cannot review an event you created" in text for text in texts(done))


def test_reject_requires_feedback(manager_site_client, admin_user):
    event = EventFactory(status=EventStatus.PENDING, created_by=admin_user, submitted_by=admin_user)
    missing = act(manager_site_client, "reject_events", [event], apply="1", feedback="  ")
    assert missing.status_code == 200
    assert "Tell the creator what to change." in missing.content.decode()
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING

    act(manager_site_client, "reject_events", [event], apply="1", feedback="Add the room.")
    event.refresh_from_db()
    assert (event.status, event.review_feedback) == (EventStatus.REJECTED, "Add the room.")
    assert OutgoingEmail.objects.filter(user=admin_user, kind="events.rejected").exists()


def test_illegal_transitions_are_reported_not_raised(admin_site_client):
    draft = EventFactory(status=EventStatus.DRAFT)
    response = act(admin_site_client, "approve_events", [draft], apply="1")
    assert response.status_code == 302
    assert any("Cannot approve an event that is DRAFT." in text for text in texts(response))


def test_submit_and_cancel_actions(admin_site_client):
    draft = EventFactory(status=EventStatus.DRAFT)
    act(admin_site_client, "submit_events", [draft])
    draft.refresh_from_db()
    assert draft.status == EventStatus.PENDING
    approved = EventFactory()
    person = UserFactory()
    services.registration_create(actor=person, event_id=approved.pk)
    act(admin_site_client, "cancel_events", [approved], apply="1", feedback="Venue flooded.")
    approved.refresh_from_db()
    assert (approved.status, approved.cancellation_reason) == (EventStatus.CANCELLED, "Venue flooded.")
    assert OutgoingEmail.objects.filter(user=person, kind="events.cancelled").exists()


# --- adding and editing -----------------------------------------------------------------------


def test_add_event_makes_a_draft_through_the_service(manager_site_client, manager_user):
    starts = future(5)
    body = change_form(
        Event(
            title="Mock interviews",
            kind="MOCK_INTERVIEW",
            location="Room 1",
            capacity=8,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
        ),
    )
    body.update({"registrations-TOTAL_FORMS": "0", "registrations-INITIAL_FORMS": "0"})
    response = manager_site_client.post("/admin/events/event/add/", body)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = Event.objects.get(title="Mock interviews")
    assert (event.status, event.created_by) == (EventStatus.DRAFT, manager_user)
    assert AuditEvent.objects.filter(action="event.created", target_id=str(event.pk)).exists()


def test_add_event_in_the_past_names_the_field(manager_site_client):
    starts = timezone.now() - timedelta(days=1)
    body = change_form(
        Event(title="Too late", kind="OTHER", location="Room 1", starts_at=starts, ends_at=starts + timedelta(hours=1))
    )
    body.update({"registrations-TOTAL_FORMS": "0", "registrations-INITIAL_FORMS": "0"})
    response = manager_site_client.post("/admin/events/event/add/", body)
    assert response.status_code == 200
    assert "starts_at" in response.context["adminform"].form.errors
    assert not Event.objects.exists()


def test_manager_moving_an_approved_event_sends_it_back_to_review(manager_site_client, admin_user):
    event = EventFactory(created_by=admin_user)
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    later = {"starts_at": event.starts_at + timedelta(hours=2), "ends_at": event.ends_at + timedelta(hours=2)}
    response = manager_site_client.post(change_url(event), change_form(event, **later))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING
    assert any("back in review" in text for text in texts(response))
    assert OutgoingEmail.objects.filter(user=person, kind="events.changed").exists()


def test_capacity_below_seats_is_a_form_error(admin_site_client):
    event = EventFactory(capacity=2)
    for _ in range(2):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    response = admin_site_client.post(change_url(event), change_form(event, capacity="1"))
    assert response.status_code == 200
    assert "capacity" in response.context["adminform"].form.errors


# --- registrations inline, waiting list, check-in, CSV --------------------------------------


def test_inline_shows_seats_then_the_waiting_list_in_order_and_checks_in(admin_site_client, admin_user):
    event = EventFactory(capacity=1, starts_at=timezone.now() + timedelta(hours=1))
    people = [UserFactory(email=f"inline{i}@example.com") for i in range(3)]
    for person in people:
        services.registration_create(actor=person, event_id=event.pk)
    page = admin_site_client.get(change_url(event))
    assert page.status_code == 200
    [formset] = [f for f in page.context["inline_admin_formsets"] if f.formset.model is Registration]
    order = [(form.instance.user.email, form.instance.status, form.instance.waitlist_rank) for form in formset.formset]
    assert order == [
        ("inline0@example.com", "CONFIRMED", None),
        ("inline1@example.com", "WAITLISTED", 1),
        ("inline2@example.com", "WAITLISTED", 2),
    ]
    response = admin_site_client.post(change_url(event), change_form(event, check_in={people[0].pk, people[1].pk}))
    assert response.status_code == 302
    statuses = dict(Registration.objects.filter(event=event).values_list("user_id", "status"))
    assert statuses[people[0].pk] == RegistrationStatus.ATTENDED
    assert statuses[people[1].pk] == RegistrationStatus.WAITLISTED  # only seats can be checked in
    assert Registration.objects.get(user=people[0]).checked_in_by == admin_user
    assert any("Checked in 1 person." in text for text in texts(response))


def test_attendee_csv_from_the_change_page_and_the_action(admin_site_client):
    event = EventFactory(title="CSV night")
    services.registration_create(actor=UserFactory(email="csv.person@example.com"), event_id=event.pk)
    single = admin_site_client.get(f"/admin/events/event/{event.pk}/attendees.csv")
    assert single.status_code == 200
    assert "csv.person@example.com" in single.content.decode()
    assert f"/admin/events/event/{event.pk}/attendees.csv" in admin_site_client.get(change_url(event)).content.decode()
    many = act(admin_site_client, "export_attendees", [event])
    lines = many.content.decode().splitlines()
    assert lines[0].startswith("event,starts_at,status")
    assert lines[1].startswith("CSV night,")


def test_only_drafts_can_be_deleted(admin_site_client):
    draft, approved = EventFactory(status=EventStatus.DRAFT), EventFactory()
    assert admin_site_client.post(f"/admin/events/event/{draft.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Event.objects.filter(pk=draft.pk).exists()
    assert admin_site_client.post(f"/admin/events/event/{approved.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Event.objects.filter(pk=approved.pk).exists()


def test_registration_admin_check_in_and_cancel_promote(manager_site_client):
    event = EventFactory(capacity=1, starts_at=timezone.now() + timedelta(hours=1))
    seated, waiting = UserFactory(), UserFactory()
    first = services.registration_create(actor=seated, event_id=event.pk)
    services.registration_create(actor=waiting, event_id=event.pk)
    listed = manager_site_client.get("/admin/events/registration/?status__exact=WAITLISTED")
    assert listed.status_code == 200
    manager_site_client.post(
        "/admin/events/registration/", {"action": "cancel_registrations", "_selected_action": [str(first.pk)]}
    )
    assert Registration.objects.get(event=event, user=waiting).status == RegistrationStatus.CONFIRMED
    promoted = Registration.objects.get(event=event, user=waiting)
    manager_site_client.post(
        "/admin/events/registration/", {"action": "check_in", "_selected_action": [str(promoted.pk)]}
    )
    promoted.refresh_from_db()
    assert promoted.status == RegistrationStatus.ATTENDED


def test_change_page_query_count_does_not_grow_with_registrations(admin_site_client):
    event = EventFactory(capacity=3)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_site_client.get(change_url(event)).status_code == 200
        return len(queries)

    for _ in range(4):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    few = count()
    for _ in range(25):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    assert count() == few


def test_review_buttons_on_the_change_page(manager_site_client, admin_user, manager_user):
    event = EventFactory(status=EventStatus.PENDING, created_by=admin_user, submitted_by=admin_user)
    page = manager_site_client.get(change_url(event)).content.decode()
    approve = f"/admin/events/event/{event.pk}/review/approve/"
    assert approve in page and f"/admin/events/event/{event.pk}/review/reject/" in page
    assert "Note for the creator" in manager_site_client.get(approve).content.decode()
    done = manager_site_client.post(approve, {"apply": "1", "feedback": ""})
    assert done.status_code == 302 and done["Location"] == change_url(event)
    event.refresh_from_db()
    assert (event.status, event.reviewed_by) == (EventStatus.APPROVED, manager_user)
    # the creator's own pending event offers no review buttons
    own = EventFactory(status=EventStatus.PENDING, created_by=manager_user, submitted_by=manager_user)
    assert "/review/approve/" not in manager_site_client.get(change_url(own)).content.decode()
    assert manager_site_client.get(f"/admin/events/event/{own.pk}/review/nonsense/").status_code == 403
