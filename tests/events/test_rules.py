"""events.rules on its own: the transition table, and who may edit or review, for every role."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser

from events.models import Event, EventStatus
from events.rules import TRANSITIONS, can_edit, can_review, can_transition, is_staff
from users.models import Role, User

ALLOWED = {
    (EventStatus.DRAFT, EventStatus.PENDING),
    (EventStatus.DRAFT, EventStatus.CANCELLED),
    (EventStatus.PENDING, EventStatus.APPROVED),
    (EventStatus.PENDING, EventStatus.REJECTED),
    (EventStatus.PENDING, EventStatus.CANCELLED),
    (EventStatus.REJECTED, EventStatus.PENDING),
    (EventStatus.REJECTED, EventStatus.CANCELLED),
    (EventStatus.APPROVED, EventStatus.PENDING),
    (EventStatus.APPROVED, EventStatus.CANCELLED),
}


@pytest.mark.parametrize("status", EventStatus.values)
@pytest.mark.parametrize("target", EventStatus.values)
def test_transition_table(status, target):
    assert can_transition(status, target) is ((status, target) in ALLOWED)


def test_the_table_covers_every_status_and_cancelled_is_final():
    assert set(TRANSITIONS) == set(EventStatus)
    assert TRANSITIONS[EventStatus.CANCELLED] == set()


def person(role):
    return User(pk=uuid.uuid4(), role=role)


def event_by(creator, submitter=None):
    return Event(
        created_by_id=getattr(creator, "pk", None),
        submitted_by_id=getattr(submitter, "pk", None),
        status=EventStatus.PENDING,
    )


STAFF = [Role.MANAGER, Role.ADMIN]
NOT_STAFF = [Role.ANONYMOUS, Role.AUTHENTICATED]


@pytest.mark.parametrize(("role", "staff"), [(role, True) for role in STAFF] + [(role, False) for role in NOT_STAFF])
def test_is_staff_is_the_users_own_rule(role, staff):
    user = person(role)
    assert is_staff(user) is staff is user.is_staff


@pytest.mark.parametrize("nobody", [AnonymousUser(), None])
def test_anonymous_may_neither_edit_nor_review(nobody):
    event = event_by(person(Role.MANAGER))
    assert not is_staff(nobody)
    assert not can_edit(nobody, event)
    assert not can_review(nobody, event)


@pytest.mark.parametrize("role", STAFF)
def test_staff_edit_any_event_and_review_all_but_their_own(role):
    user, colleague = person(role), person(Role.MANAGER)
    assert can_edit(user, event_by(colleague))
    assert can_review(user, event_by(colleague))
    assert can_edit(user, event_by(user))
    assert not can_review(user, event_by(user))  # created it
    assert not can_review(user, event_by(colleague, submitter=user))  # submitted it
    assert can_edit(user, event_by(None))  # a creator since deleted
    assert can_review(user, event_by(None))


@pytest.mark.parametrize("role", NOT_STAFF)
def test_members_edit_only_their_own_and_review_nothing(role):
    user = person(role)
    assert can_edit(user, event_by(user))
    assert not can_edit(user, event_by(person(Role.MANAGER)))
    assert not can_edit(user, event_by(None))
    assert not can_review(user, event_by(person(Role.MANAGER)))
    assert not can_review(user, event_by(user))
