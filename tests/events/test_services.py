"""The event rules, against the real database: transitions, four eyes, capacity, waiting list, notices, audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from icalendar import Calendar

from audit.models import AuditEvent
from events import services
from events.models import CalendarFeedToken, Event, EventStatus, Registration, RegistrationStatus
from notifications.models import OutgoingEmail
from tests.events.conftest import EventFactory, event_input, future
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db


def audited(action, target) -> bool:
    return AuditEvent.objects.filter(action=action, target_id=str(target.pk)).exists()


def emails_to(user, kind):
    return OutgoingEmail.objects.filter(user=user, kind=kind)


# --- creating and editing -----------------------------------------------------------


def test_manager_creates_a_draft(manager):
    event = services.event_create(actor=manager, **event_input())
    assert event.status == EventStatus.DRAFT
    assert event.created_by == manager
    assert event.slug.startswith("company-tour-acme-robotics-lab-")
    assert audited("event.created", event)


@pytest.mark.parametrize("role", [Role.ANONYMOUS, Role.AUTHENTICATED])
def test_members_cannot_create(role):
    with pytest.raises(PermissionDenied):
        services.event_create(actor=UserFactory(role=role), **event_input())
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": future(10) - timedelta(hours=1), "starts_at": future(10)}, "ends_at"),
        ({"location": "", "online_url": ""}, "location"),
        ({"starts_at": timezone.now() - timedelta(hours=1), "ends_at": future(1)}, "starts_at"),
        ({"registration_opens_at": future(2), "registration_closes_at": future(1)}, "registration_closes_at"),
        ({"online_url": "ftp://example.com/x"}, "online_url"),
        ({"title": ""}, "title"),
    ],
)
def test_create_validates_and_names_the_field(manager, overrides, field):
    with pytest.raises(ValidationError) as caught:
        services.event_create(actor=manager, **event_input(**overrides))
    assert field in caught.value.message_dict
    assert not Event.objects.exists()


def test_online_only_event_is_fine(manager):
    event = services.event_create(actor=manager, **event_input(location="", online_url="https://meet.example.com/x"))
    assert event.online_url


def test_editing_an_approved_event_as_manager_sends_it_back_to_review(event, other_manager, admin, member):
    services.registration_create(actor=member, event_id=event.pk)
    services.event_update(
        actor=other_manager, event_id=event.pk, data={"starts_at": event.starts_at + timedelta(hours=1)}
    )
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING
    assert event.submitted_by == other_manager
    assert event.sequence == 1
    # the editor may not approve their own change; the admin and the creator are asked to review
    assert emails_to(admin, "events.submitted").exists()
    assert not emails_to(other_manager, "events.submitted").exists()
    assert emails_to(member, "events.changed").count() == 1
    with pytest.raises(PermissionDenied):
        services.event_approve(actor=other_manager, event_id=event.pk)
    assert audited("event.updated", event)


def test_admin_edits_an_approved_event_without_review(event, admin, member):
    services.registration_create(actor=member, event_id=event.pk)
    services.event_update(actor=admin, event_id=event.pk, data={"location": "Room 2"})
    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED
    assert emails_to(member, "events.changed").count() == 1


def test_editing_the_description_keeps_it_approved_and_tells_nobody(event, other_manager, member):
    services.registration_create(actor=member, event_id=event.pk)
    services.event_update(actor=other_manager, event_id=event.pk, data={"description": "Now with snacks."})
    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED
    assert event.sequence == 0
    assert not emails_to(member, "events.changed").exists()


def test_capacity_cannot_go_below_seats_taken(event_factory, manager):
    event = event_factory(capacity=2, created_by=manager)
    for _ in range(2):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    with pytest.raises(ValidationError) as caught:
        services.event_update(actor=manager, event_id=event.pk, data={"capacity": 1})
    assert "capacity" in caught.value.message_dict


def test_more_capacity_promotes_the_waiting_list_in_order(event_factory, admin):
    event = event_factory(capacity=1)
    people = [UserFactory() for _ in range(4)]
    for person in people:
        services.registration_create(actor=person, event_id=event.pk)
    services.event_update(actor=admin, event_id=event.pk, data={"capacity": 3})
    statuses = {r.user_id: r.status for r in Registration.objects.filter(event=event)}
    assert [statuses[p.pk] for p in people] == ["CONFIRMED", "CONFIRMED", "CONFIRMED", "WAITLISTED"]
    event.refresh_from_db()
    assert event.seats_taken == 3
    assert emails_to(people[1], "events.promoted").count() == 1


def test_members_cannot_edit(event, member):
    with pytest.raises(services.EventNotFound):  # a member cannot even see a draft...
        services.event_update(actor=member, event_id=EventFactory(status=EventStatus.DRAFT).pk, data={"title": "x"})
    with pytest.raises(PermissionDenied):  # ...and may see, not edit, an approved one
        services.event_update(actor=member, event_id=event.pk, data={"title": "x"})


def test_only_drafts_are_deleted(event_factory, manager):
    draft = event_factory(status=EventStatus.DRAFT, created_by=manager)
    services.event_delete(actor=manager, event_id=draft.pk)
    assert not Event.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="event.deleted", target_id=str(draft.pk)).exists()
    approved = event_factory(created_by=manager)
    with pytest.raises(services.EventError, match="APPROVED"):
        services.event_delete(actor=manager, event_id=approved.pk)


# --- the workflow --------------------------------------------------------------------


def test_submit_notifies_every_other_manager_and_admin(manager, other_manager, admin, member):
    event = services.event_create(actor=manager, **event_input())
    services.event_submit(actor=manager, event_id=event.pk)
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING
    assert emails_to(other_manager, "events.submitted").count() == 1
    assert emails_to(admin, "events.submitted").count() == 1
    assert not emails_to(manager, "events.submitted").exists()
    assert not emails_to(member, "events.submitted").exists()
    assert audited("event.submitted", event)


def test_four_eyes_the_creator_cannot_approve_or_reject(manager):
    event = EventFactory(status=EventStatus.PENDING, created_by=manager, submitted_by=manager)
    with pytest.raises(PermissionDenied):
        services.event_approve(actor=manager, event_id=event.pk)
    with pytest.raises(PermissionDenied):
        services.event_reject(actor=manager, event_id=event.pk, feedback="no")
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING


def test_an_admin_creator_cannot_approve_their_own_either(admin):
    event = EventFactory(status=EventStatus.PENDING, created_by=admin, submitted_by=admin)
    with pytest.raises(PermissionDenied):
        services.event_approve(actor=admin, event_id=event.pk)


def test_members_cannot_review(member):
    event = EventFactory(status=EventStatus.PENDING)
    with pytest.raises(services.EventNotFound):
        services.event_approve(actor=member, event_id=event.pk)


def test_approve_publishes_and_tells_the_creator(manager, other_manager):
    event = EventFactory(status=EventStatus.PENDING, created_by=manager, submitted_by=manager, published_at=None)
    services.event_approve(actor=other_manager, event_id=event.pk)
    event.refresh_from_db()
    assert (event.status, event.reviewed_by) == (EventStatus.APPROVED, other_manager)
    assert event.published_at is not None
    assert emails_to(manager, "events.approved").count() == 1
    assert audited("event.approved", event)


def test_reject_needs_feedback_and_sends_it(manager, other_manager, mailoutbox, django_capture_on_commit_callbacks):
    event = EventFactory(status=EventStatus.PENDING, created_by=manager, submitted_by=manager)
    with pytest.raises(ValidationError) as caught:
        services.event_reject(actor=other_manager, event_id=event.pk, feedback="   ")
    assert "feedback" in caught.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        services.event_reject(actor=other_manager, event_id=event.pk, feedback="Add the room number.")
    event.refresh_from_db()
    assert event.status == EventStatus.REJECTED
    assert event.review_feedback == "Add the room number."
    [mail] = [m for m in mailoutbox if m.to == [manager.email]]
    assert "Add the room number." in mail.body
    # the creator fixes it and submits again
    services.event_submit(actor=manager, event_id=event.pk)
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING


TRANSITIONS = [
    # (status, service, allowed)
    (EventStatus.DRAFT, "submit", True),
    (EventStatus.DRAFT, "approve", False),
    (EventStatus.DRAFT, "reject", False),
    (EventStatus.DRAFT, "cancel", True),
    (EventStatus.PENDING, "submit", False),
    (EventStatus.PENDING, "approve", True),
    (EventStatus.PENDING, "reject", True),
    (EventStatus.PENDING, "cancel", True),
    (EventStatus.APPROVED, "submit", False),
    (EventStatus.APPROVED, "approve", False),
    (EventStatus.APPROVED, "reject", False),
    (EventStatus.APPROVED, "cancel", True),
    (EventStatus.REJECTED, "submit", True),
    (EventStatus.REJECTED, "approve", False),
    (EventStatus.REJECTED, "cancel", True),
    (EventStatus.CANCELLED, "submit", False),
    (EventStatus.CANCELLED, "approve", False),
    (EventStatus.CANCELLED, "cancel", False),
]


@pytest.mark.parametrize(("status", "verb", "allowed"), TRANSITIONS)
def test_transition_table(manager, other_manager, status, verb, allowed):
    event = EventFactory(status=status, created_by=manager)
    call = {
        "submit": lambda: services.event_submit(actor=manager, event_id=event.pk),
        "approve": lambda: services.event_approve(actor=other_manager, event_id=event.pk),
        "reject": lambda: services.event_reject(actor=other_manager, event_id=event.pk, feedback="Fix it."),
        "cancel": lambda: services.event_cancel(actor=manager, event_id=event.pk),
    }[verb]
    if allowed:
        call()
        return
    with pytest.raises(services.InvalidTransition) as caught:
        call()
    assert caught.value.current == status
    assert status in caught.value.message
    event.refresh_from_db()
    assert event.status == status


def test_cancel_tells_everyone_registered_or_waiting(event_factory, manager):
    event = event_factory(capacity=1, created_by=manager)
    seated, waiting, gone = UserFactory(), UserFactory(), UserFactory()
    for person in (seated, waiting, gone):
        services.registration_create(actor=person, event_id=event.pk)
    services.registration_cancel(actor=gone, event_id=event.pk)  # gone was waiting: nobody promoted
    services.event_cancel(actor=manager, event_id=event.pk, reason="Speaker is ill.")
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED
    assert event.sequence == 1
    assert emails_to(seated, "events.cancelled").count() == 1
    assert emails_to(waiting, "events.cancelled").count() == 1
    assert not emails_to(gone, "events.cancelled").exists()
    assert audited("event.cancelled", event)


# --- registration --------------------------------------------------------------------


def test_seats_then_waiting_list_in_order(event_factory):
    event = event_factory(capacity=2)
    people = [UserFactory() for _ in range(5)]
    registrations = [services.registration_create(actor=p, event_id=event.pk) for p in people]
    assert [r.status for r in registrations] == ["CONFIRMED"] * 2 + ["WAITLISTED"] * 3
    assert [r.waitlist_position for r in registrations[2:]] == [1, 2, 3]
    event.refresh_from_db()
    assert event.seats_taken == 2
    assert emails_to(people[0], "events.registration_confirmed").count() == 1
    assert emails_to(people[3], "events.waitlisted").get().context["position"] == 2
    assert audited("registration.confirmed", registrations[0])
    assert audited("registration.waitlisted", registrations[2])


def test_unlimited_capacity_never_waitlists(event_factory):
    event = event_factory(capacity=None)
    for _ in range(5):
        assert services.registration_create(actor=UserFactory(), event_id=event.pk).status == "CONFIRMED"


def test_registering_twice_is_refused(event, member):
    services.registration_create(actor=member, event_id=event.pk)
    with pytest.raises(services.AlreadyRegistered):
        services.registration_create(actor=member, event_id=event.pk)
    assert Registration.objects.filter(event=event, user=member).count() == 1


def test_the_database_allows_one_live_registration_per_user(event, member):
    Registration.objects.create(event=event, user=member, status=RegistrationStatus.CONFIRMED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(event=event, user=member, status=RegistrationStatus.CONFIRMED)
    # a cancelled one does not count
    Registration.objects.filter(event=event, user=member).update(status=RegistrationStatus.CANCELLED)
    Registration.objects.create(event=event, user=member, status=RegistrationStatus.CONFIRMED)


def test_the_database_refuses_overbooking(event_factory):
    event = event_factory(capacity=1, seats_taken=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(seats_taken=2)


def test_register_again_after_cancelling(event, member):
    services.registration_create(actor=member, event_id=event.pk)
    services.registration_cancel(actor=member, event_id=event.pk)
    again = services.registration_create(actor=member, event_id=event.pk)
    assert again.status == RegistrationStatus.CONFIRMED
    assert Registration.objects.filter(event=event, user=member).count() == 2


@pytest.mark.parametrize(
    ("event_kwargs", "user_kwargs", "message"),
    [
        ({}, {"unverified": True}, "Verify your email"),
        ({"pro_only": True}, {}, "professional members only"),
        ({"registration_opens_at": future(1)}, {}, "Registration opens"),
        ({"registration_closes_at": timezone.now() - timedelta(minutes=1)}, {}, "closed"),
        (
            {"starts_at": timezone.now() - timedelta(hours=1), "ends_at": timezone.now() + timedelta(hours=1)},
            {},
            "already started",
        ),
        ({"status": EventStatus.CANCELLED, "published_at": timezone.now()}, {}, "cancelled"),
    ],
)
def test_registration_refusals(event_factory, event_kwargs, user_kwargs, message):
    event = event_factory(**event_kwargs)
    person = UserFactory(**user_kwargs)
    with pytest.raises(services.RegistrationRefused, match=message):
        services.registration_create(actor=person, event_id=event.pk)
    assert not Registration.objects.exists()


def test_professionals_may_register_for_pro_only_events(event_factory):
    event = event_factory(pro_only=True)
    services.registration_create(actor=UserFactory(is_professional=True), event_id=event.pk)


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.PENDING, EventStatus.REJECTED])
def test_unpublished_events_are_not_found_for_members(event_factory, member, status):
    event = event_factory(status=status, published_at=None)
    with pytest.raises(services.EventNotFound):
        services.registration_create(actor=member, event_id=event.pk)


def test_staff_cannot_register_for_a_pending_event(event_factory, other_manager):
    event = event_factory(status=EventStatus.PENDING)
    with pytest.raises(services.RegistrationRefused, match="PENDING"):
        services.registration_create(actor=other_manager, event_id=event.pk)


def test_cancelling_a_seat_promotes_the_first_waiting_in_the_same_transaction(
    event_factory, mailoutbox, django_capture_on_commit_callbacks
):
    event = event_factory(capacity=1)
    seated, first, second = UserFactory(), UserFactory(), UserFactory()
    for person in (seated, first, second):
        services.registration_create(actor=person, event_id=event.pk)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.registration_cancel(actor=seated, event_id=event.pk)
    assert len(callbacks) == 2  # one commit for both: its notices are queued, the promotion is counted
    statuses = {r.user_id: (r.status, r.waitlist_position) for r in Registration.objects.filter(event=event)}
    assert statuses[seated.pk] == ("CANCELLED", None)
    assert statuses[first.pk] == ("CONFIRMED", None)
    assert statuses[second.pk] == ("WAITLISTED", 2)
    event.refresh_from_db()
    assert event.seats_taken == 1
    [mail] = mailoutbox
    assert mail.to == [first.email]
    assert mail.attachments[0][0].endswith(".ics")
    promoted = Registration.objects.get(event=event, user=first)
    assert audited("registration.promoted", promoted)
    assert services.waitlist_rank(Registration.objects.get(event=event, user=second)) == 1


def test_cancelling_a_waitlisted_place_frees_no_seat(event_factory):
    event = event_factory(capacity=1)
    seated, waiting = UserFactory(), UserFactory()
    services.registration_create(actor=seated, event_id=event.pk)
    services.registration_create(actor=waiting, event_id=event.pk)
    services.registration_cancel(actor=waiting, event_id=event.pk)
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_cancel_without_registration(event, member):
    with pytest.raises(services.NotRegistered):
        services.registration_cancel(actor=member, event_id=event.pk)


def test_a_member_cannot_cancel_someone_else(event, member):
    other = UserFactory()
    services.registration_create(actor=other, event_id=event.pk)
    with pytest.raises(PermissionDenied):
        services.registration_cancel(actor=member, event_id=event.pk, user_id=other.pk)


def test_check_in(event_factory, manager, member, other_manager):
    event = event_factory(created_by=manager, starts_at=timezone.now() + timedelta(hours=2))
    services.registration_create(actor=member, event_id=event.pk)
    registration, changed = services.registration_check_in(actor=other_manager, event_id=event.pk, user_id=member.pk)
    assert changed and registration.status == RegistrationStatus.ATTENDED
    assert registration.checked_in_by == other_manager
    again, changed = services.registration_check_in(actor=other_manager, event_id=event.pk, user_id=member.pk)
    assert not changed and again.status == RegistrationStatus.ATTENDED
    assert AuditEvent.objects.filter(action="registration.checked_in").count() == 1
    event.refresh_from_db()
    assert event.seats_taken == 1  # an attendee still holds the seat
    with pytest.raises(services.EventError, match="checked in"):
        services.registration_cancel(actor=member, event_id=event.pk)


def test_check_in_needs_staff_and_a_seat(event_factory, member):
    event = event_factory(capacity=1, starts_at=timezone.now() + timedelta(hours=2))
    seated, waiting = UserFactory(), UserFactory()
    services.registration_create(actor=seated, event_id=event.pk)
    services.registration_create(actor=waiting, event_id=event.pk)
    with pytest.raises(PermissionDenied):
        services.registration_check_in(actor=member, event_id=event.pk, user_id=seated.pk)
    with pytest.raises(services.EventError, match="WAITLISTED"):
        services.registration_check_in(actor=event.created_by, event_id=event.pk, user_id=waiting.pk)


# --- reminders ------------------------------------------------------------------------


def test_reminders_are_sent_once(event_factory, mailoutbox, django_capture_on_commit_callbacks):
    soon = event_factory(starts_at=timezone.now() + timedelta(hours=20))
    later = event_factory(starts_at=timezone.now() + timedelta(days=3))
    seated, waiting, other = UserFactory(), UserFactory(), UserFactory()
    Event.objects.filter(pk=soon.pk).update(capacity=1)
    services.registration_create(actor=seated, event_id=soon.pk)
    services.registration_create(actor=waiting, event_id=soon.pk)
    services.registration_create(actor=other, event_id=later.pk)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 1
    assert [m.to for m in mailoutbox] == [[seated.email]]
    assert "Tomorrow" in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 0
    assert len(mailoutbox) == 1
    assert Registration.objects.get(event=soon, user=seated).reminded_at is not None


def test_reminder_is_not_repeated_after_re_registering(event_factory):
    event = event_factory(starts_at=timezone.now() + timedelta(hours=5))
    person = UserFactory()
    services.registration_create(actor=person, event_id=event.pk)
    services.reminders_send()
    services.registration_cancel(actor=person, event_id=event.pk)
    services.registration_create(actor=person, event_id=event.pk)
    services.reminders_send()
    assert emails_to(person, "events.reminder").count() == 1


# --- calendar tokens ---------------------------------------------------------------------


def test_calendar_token_is_stored_hashed_replaced_and_revoked(member):
    token = services.calendar_token_create(user=member)
    assert len(token) >= 40
    row = CalendarFeedToken.objects.get(user=member)
    assert token not in row.token_hash
    assert services.calendar_token_user(token) == member
    newer = services.calendar_token_create(user=member)
    assert services.calendar_token_user(token) is None
    assert services.calendar_token_user(newer) == member
    assert services.calendar_token_revoke(user=member)
    assert services.calendar_token_user(newer) is None
    assert not services.calendar_token_revoke(user=member)


def test_a_locked_user_feed_stops(member):
    token = services.calendar_token_create(user=member)
    member.is_locked = True
    member.save()
    assert services.calendar_token_user(token) is None


def test_promotion_email_ics_is_fresh(event_factory, mailoutbox, django_capture_on_commit_callbacks):
    event = event_factory(capacity=1, location="Room 1")
    first, second = UserFactory(), UserFactory()
    services.registration_create(actor=first, event_id=event.pk)
    services.registration_create(actor=second, event_id=event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=first, event_id=event.pk)
    [mail] = [m for m in mailoutbox if m.to == [second.email]]
    calendar = Calendar.from_ical(mail.attachments[0][1])
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["location"]) == "Room 1"


def test_deleting_an_account_gives_its_seat_to_the_next_person(event_factory, admin):
    from users.services import user_delete

    event = event_factory(capacity=1)
    leaving, waiting = UserFactory(), UserFactory()
    services.registration_create(actor=leaving, event_id=event.pk)
    services.registration_create(actor=waiting, event_id=event.pk)
    user_delete(actor=admin, user=leaving)
    event.refresh_from_db()
    assert event.seats_taken == 1
    assert Registration.objects.get(event=event, user=waiting).status == RegistrationStatus.CONFIRMED
    assert emails_to(waiting, "events.promoted").count() == 1
    assert not Registration.objects.filter(user_id=leaving.pk).exists()


def test_an_approved_event_back_in_review_stays_visible_with_registration_paused(event, member, other_manager):
    from events.rules import registration_paused
    from events.selectors import event_get, event_list

    services.registration_create(actor=member, event_id=event.pk)
    outsider = UserFactory()
    services.event_update(actor=other_manager, event_id=event.pk, data={"location": "Room 9"})
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING
    assert event_get(user=member, event_id=event.pk) is not None
    assert [e.pk for e in event_list(user=member)] == [event.pk]
    seen = event_get(user=outsider, event_id=event.pk)  # issue 15: no 404 while re-reviewed
    assert seen is not None and registration_paused(seen)
    with pytest.raises(services.RegistrationRefused, match="paused"):
        services.registration_create(actor=outsider, event_id=event.pk)
    services.registration_cancel(actor=member, event_id=event.pk)  # and may still cancel
    assert event_get(user=member, event_id=event.pk) is not None
