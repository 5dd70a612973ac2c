"""The events API through real HTTP requests with real tokens: role matrix, links, errors, pages, query counts."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import services
from events.models import Event, EventKind, EventStatus, Registration, RegistrationStatus
from notifications.models import OutgoingEmail
from tests.events.conftest import EventFactory, future
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

ANON, MEMBER, CREATOR, OTHER, ADMIN = "anonymous", "member", "creator", "other_manager", "admin"
ROLES = [ANON, MEMBER, CREATOR, OTHER, ADMIN]


@pytest.fixture
def people(db):
    return {
        MEMBER: UserFactory(role=Role.AUTHENTICATED),
        CREATOR: UserFactory(role=Role.MANAGER),
        OTHER: UserFactory(role=Role.MANAGER),
        ADMIN: UserFactory(role=Role.ADMIN),
    }


@pytest.fixture
def as_role(api_client, client_for, people):
    return lambda role: api_client if role == ANON else client_for(people[role])


def new_event_body(**overrides):
    starts = future(12)
    body = {
        "title": "Workshop: testing Django",
        "kind": "WORKSHOP",
        "location": "Lab 3, 1 Campus Road",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 12,
    }
    body.update(overrides)
    return body


# --- the role matrix -----------------------------------------------------------------

VISIBILITY = {
    # status: who gets 200 (everyone else authenticated gets 404; anonymous 401)
    EventStatus.DRAFT: {CREATOR, OTHER, ADMIN},
    EventStatus.PENDING: {CREATOR, OTHER, ADMIN},
    EventStatus.REJECTED: {CREATOR, OTHER, ADMIN},
    EventStatus.APPROVED: {MEMBER, CREATOR, OTHER, ADMIN},
    EventStatus.CANCELLED: {MEMBER, CREATOR, OTHER, ADMIN},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", list(VISIBILITY))
def test_who_sees_which_event(as_role, people, role, status):
    event = EventFactory(status=status, created_by=people[CREATOR], published_at=timezone.now())
    if status in (EventStatus.DRAFT, EventStatus.PENDING, EventStatus.REJECTED):
        Event.objects.filter(pk=event.pk).update(published_at=None)
    client = as_role(role)
    detail = client.get(f"/events/{event.pk}")
    listed = client.get("/events/")
    calendar = client.get(f"/events/{event.pk}.ics")
    if role == ANON:
        assert detail.status_code == listed.status_code == calendar.status_code == 401
        assert detail["WWW-Authenticate"].startswith("Bearer")
        return
    visible = role in VISIBILITY[status]
    assert detail.status_code == (200 if visible else 404), detail.content
    assert isinstance(detail.json().get("detail", ""), str)
    assert calendar.status_code == (200 if visible else 404)
    assert [item["id"] for item in listed.json()["items"]] == ([str(event.pk)] if visible else [])


# (method, path, body, event status, {role: expected})
ACTIONS = {
    "create": ("post", "/events/", new_event_body(), None, {MEMBER: 403, CREATOR: 201, OTHER: 201, ADMIN: 201}),
    "update": (
        "patch",
        "/events/{id}",
        {"title": "Renamed"},
        EventStatus.APPROVED,
        {MEMBER: 403, CREATOR: 200, OTHER: 200, ADMIN: 200},
    ),
    "delete": ("delete", "/events/{id}", None, EventStatus.DRAFT, {MEMBER: 404, CREATOR: 204, OTHER: 204, ADMIN: 204}),
    "submit": (
        "post",
        "/events/{id}/submit",
        None,
        EventStatus.DRAFT,
        {MEMBER: 404, CREATOR: 200, OTHER: 200, ADMIN: 200},
    ),
    "approve": (
        "post",
        "/events/{id}/approve",
        None,
        EventStatus.PENDING,
        {MEMBER: 404, CREATOR: 403, OTHER: 200, ADMIN: 200},
    ),
    "reject": (
        "post",
        "/events/{id}/reject",
        {"feedback": "Add a room."},
        EventStatus.PENDING,
        {MEMBER: 404, CREATOR: 403, OTHER: 200, ADMIN: 200},
    ),
    "cancel": (
        "post",
        "/events/{id}/cancel",
        {"reason": "Storm."},
        EventStatus.APPROVED,
        {MEMBER: 403, CREATOR: 200, OTHER: 200, ADMIN: 200},
    ),
    "register": (
        "post",
        "/events/{id}/registrations",
        None,
        EventStatus.APPROVED,
        {MEMBER: 201, CREATOR: 201, OTHER: 201, ADMIN: 201},
    ),
    "attendees": (
        "get",
        "/events/{id}/registrations",
        None,
        EventStatus.APPROVED,
        {MEMBER: 403, CREATOR: 200, OTHER: 200, ADMIN: 200},
    ),
    "export": (
        "get",
        "/events/{id}/registrations.csv",
        None,
        EventStatus.APPROVED,
        {MEMBER: 403, CREATOR: 200, OTHER: 200, ADMIN: 200},
    ),
    "check_in": (
        "post",
        "/events/{id}/registrations/{attendee}/check-in",
        None,
        EventStatus.APPROVED,
        {MEMBER: 403, CREATOR: 200, OTHER: 200, ADMIN: 200},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_role_matrix(as_role, people, role, name):
    method, path, body, status, expected = ACTIONS[name]
    # check-in opens CHECK_IN_OPENS_HOURS_BEFORE (3) hours before the start
    soon = {"starts_at": timezone.now() + timedelta(hours=1)} if name == "check_in" else {}
    event = EventFactory(created_by=people[CREATOR], **soon)
    attendee = UserFactory()
    services.registration_create(actor=attendee, event_id=event.pk)
    if status not in (None, EventStatus.APPROVED):
        Event.objects.filter(pk=event.pk).update(status=status, submitted_by=people[CREATOR], published_at=None)
    before = Event.objects.get(pk=event.pk)
    registrations_before = Registration.objects.count()

    response = getattr(as_role(role), method)(path.format(id=event.pk, attendee=attendee.pk), body, format="json")

    want = 401 if role == ANON else expected[role]
    assert response.status_code == want, response.content
    if want >= 400:
        assert isinstance(response.json()["detail"], str)
        after = Event.objects.filter(pk=event.pk).first()
        assert after is not None and (after.status, after.title) == (before.status, before.title)
        assert Registration.objects.count() == registrations_before
        assert not Registration.objects.filter(status=RegistrationStatus.ATTENDED).exists()


# --- the resource and its links ------------------------------------------------------


def rels(body):
    return {link["rel"] for link in body["links"]}


def test_member_sees_seats_and_their_registration(client_for, event_factory):
    event = event_factory(capacity=1)
    seated, waiting = UserFactory(), UserFactory()
    services.registration_create(actor=seated, event_id=event.pk)
    client = client_for(waiting)

    body = client.get(f"/events/{event.pk}/").json()
    assert (body["capacity"], body["seats_taken"], body["seats_left"], body["waitlist_count"]) == (1, 1, 0, 0)
    assert body["my_registration"] is None
    assert rels(body) == {"self", "calendar", "register"}
    assert body["review_feedback"] is None

    created = client.post(f"/events/{event.pk}/registrations/")
    assert created.status_code == 201
    assert (created.json()["status"], created.json()["waitlist_position"]) == ("WAITLISTED", 1)

    body = client.get(f"/events/{event.pk}").json()
    assert body["my_registration"]["status"] == "WAITLISTED"
    assert body["my_registration"]["waitlist_position"] == 1
    assert body["waitlist_count"] == 1
    assert rels(body) == {"self", "calendar", "unregister"}


def test_links_for_reviewers_and_creator(client_for, people):
    event = EventFactory(status=EventStatus.PENDING, created_by=people[CREATOR], submitted_by=people[CREATOR])
    creator = client_for(people[CREATOR]).get(f"/events/{event.pk}").json()
    other = client_for(people[OTHER]).get(f"/events/{event.pk}").json()
    assert {"approve", "reject"}.isdisjoint(rels(creator))
    assert {"update", "cancel", "registrations", "export"} <= rels(creator)
    assert {"approve", "reject", "update", "cancel"} <= rels(other)
    assert "delete" not in rels(other)  # only drafts


def test_create_then_walk_the_workflow(client_for, people):
    creator, reviewer = client_for(people[CREATOR]), client_for(people[OTHER])
    created = creator.post("/events/", new_event_body(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "DRAFT"
    assert body["created_by"]["id"] == str(people[CREATOR].pk)
    event_id = body["id"]
    assert creator.post(f"/events/{event_id}/submit").json()["status"] == "PENDING"
    assert OutgoingEmail.objects.filter(user=people[OTHER], kind="events.submitted").exists()
    rejected = reviewer.post(f"/events/{event_id}/reject/", {"feedback": "Which room?"}, format="json").json()
    assert (rejected["status"], rejected["review_feedback"]) == ("REJECTED", "Which room?")
    assert creator.patch(f"/events/{event_id}", {"location": "Lab 3, room 12"}, format="json").status_code == 200
    creator.post(f"/events/{event_id}/submit")
    approved = reviewer.post(f"/events/{event_id}/approve", {}, format="json").json()
    assert approved["status"] == "APPROVED"
    assert approved["reviewed_by"]["id"] == str(people[OTHER].pk)


def test_illegal_transition_is_400_naming_the_state(client_for, people):
    event = EventFactory(status=EventStatus.DRAFT, created_by=people[CREATOR])
    response = client_for(people[OTHER]).post(f"/events/{event.pk}/approve")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot approve an event that is DRAFT.", "status": "DRAFT"}


def test_reject_without_feedback_names_the_field(client_for, people):
    event = EventFactory(status=EventStatus.PENDING, created_by=people[CREATOR])
    response = client_for(people[OTHER]).post(f"/events/{event.pk}/reject", {}, format="json")
    assert response.status_code == 400
    assert "feedback" in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ends_at": future(1).isoformat(), "starts_at": future(2).isoformat()}, "ends_at"),
        ({"location": "", "online_url": ""}, "location"),
        ({"capacity": 0}, "capacity"),
        ({"kind": "PARTY"}, "kind"),
        ({"starts_at": "2026-12-01T10:00:00"}, "starts_at"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
    ],
)
def test_bad_input_is_400_naming_the_field(client_for, people, body, field):
    response = client_for(people[CREATOR]).post("/events/", new_event_body(**body), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert isinstance(response.json()["detail"], str)
    assert not Event.objects.exists()


def test_empty_update_is_400(client_for, people, event_factory):
    event = event_factory(created_by=people[CREATOR])
    assert client_for(people[CREATOR]).patch(f"/events/{event.pk}", {}, format="json").status_code == 400


@pytest.mark.parametrize("event_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_unknown_event_is_404(client_for, people, event_id, slash):
    client = client_for(people[ADMIN])
    for method, path in [
        ("get", f"/events/{event_id}{slash}"),
        ("post", f"/events/{event_id}/submit{slash}"),
        ("post", f"/events/{event_id}/registrations{slash}"),
        ("delete", f"/events/{event_id}/registrations/me{slash}"),
        ("get", f"/events/{event_id}/registrations{slash}"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path, response.content)
        assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("slash", ["", "/"])
def test_every_path_with_and_without_slash(client_for, people, event_factory, slash):
    event = event_factory(created_by=people[CREATOR])
    member = client_for(people[MEMBER])
    staff = client_for(people[ADMIN])
    assert member.get(f"/events{slash}").status_code == 200
    assert member.post(f"/events/{event.pk}/registrations{slash}").status_code == 201
    assert member.get(f"/events/{event.pk}/registrations/me{slash}").status_code == 200
    assert member.get(f"/users/me/registrations{slash}").status_code == 200
    assert staff.get(f"/events/{event.pk}/registrations{slash}").status_code == 200
    assert staff.get(f"/events/{event.pk}/registrations.csv{slash}").status_code == 200
    assert staff.get(f"/events/{event.pk}.ics{slash}").status_code == 200
    assert member.post(f"/users/me/calendar-token{slash}").status_code == 201
    assert member.delete(f"/users/me/calendar-token{slash}").status_code == 204
    assert member.delete(f"/events/{event.pk}/registrations/me{slash}").status_code == 204


# --- registrations --------------------------------------------------------------------


def test_register_twice_is_409_and_refusals_are_400(client_for, event_factory):
    member = UserFactory()
    client = client_for(member)
    event = event_factory()
    assert client.post(f"/events/{event.pk}/registrations").status_code == 201
    again = client.post(f"/events/{event.pk}/registrations")
    assert again.status_code == 409
    assert again.json()["detail"] == "You are already registered for this event."
    pro_only = event_factory(pro_only=True)
    refused = client.post(f"/events/{pro_only.pk}/registrations")
    assert refused.status_code == 400
    assert "professional" in refused.json()["detail"]


def test_cancel_my_registration_promotes_the_next(client_for, event_factory):
    event = event_factory(capacity=1)
    first, second = UserFactory(), UserFactory()
    client_for(first).post(f"/events/{event.pk}/registrations")
    client_for(second).post(f"/events/{event.pk}/registrations")
    assert client_for(first).delete(f"/events/{event.pk}/registrations/me").status_code == 204
    assert Registration.objects.get(event=event, user=second).status == RegistrationStatus.CONFIRMED
    assert OutgoingEmail.objects.filter(user=second, kind="events.promoted").count() == 1
    assert client_for(first).delete(f"/events/{event.pk}/registrations/me").status_code == 404


def test_attendee_list_in_order_and_check_in(client_for, people, event_factory):
    event = event_factory(capacity=2, created_by=people[CREATOR], starts_at=timezone.now() + timedelta(hours=1))
    attendees = [UserFactory(email=f"attendee{i}@example.com") for i in range(4)]
    for person in attendees:
        services.registration_create(actor=person, event_id=event.pk)
    services.registration_cancel(actor=attendees[2], event_id=event.pk)
    staff = client_for(people[OTHER])
    page = staff.get(f"/events/{event.pk}/registrations").json()
    assert page["total"] == 4
    rows = [(item["user"]["email"], item["status"], item["waitlist_position"]) for item in page["items"]]
    assert rows == [
        ("attendee0@example.com", "CONFIRMED", None),
        ("attendee1@example.com", "CONFIRMED", None),
        ("attendee3@example.com", "WAITLISTED", 1),
        ("attendee2@example.com", "CANCELLED", None),
    ]
    assert "check_in" in {link["rel"] for link in page["items"][0]["links"]}
    checked = staff.post(f"/events/{event.pk}/registrations/{attendees[0].pk}/check-in")
    assert checked.status_code == 200
    assert checked.json()["status"] == "ATTENDED"
    assert checked.json()["checked_in_at"]
    waitlisted = staff.post(f"/events/{event.pk}/registrations/{attendees[3].pk}/check-in")
    assert waitlisted.status_code == 400
    nobody = staff.post(f"/events/{event.pk}/registrations/{people[MEMBER].pk}/check-in")
    assert nobody.status_code == 404


def test_csv_export(client_for, people, event_factory):
    event = event_factory(created_by=people[CREATOR])
    services.registration_create(actor=UserFactory(first_name="=HYPERLINK(1)", last_name="Doe"), event_id=event.pk)
    response = client_for(people[ADMIN]).get(f"/events/{event.pk}/registrations.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{event.slug}-attendees.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("status,waitlist_position,email")
    assert lines[1].startswith("CONFIRMED,,")
    assert "'=HYPERLINK(1)" in lines[1]  # no formula injection


def test_my_registrations(client_for, event_factory):
    member = UserFactory()
    early, late = event_factory(starts_at=future(2)), event_factory(starts_at=future(20))
    for event in (early, late):
        services.registration_create(actor=member, event_id=event.pk)
    page = client_for(member).get("/users/me/registrations").json()
    assert [item["event"]["id"] for item in page["items"]] == [str(late.pk), str(early.pk)]
    assert page["items"][0]["status"] == "CONFIRMED"
    assert "cancel" in {link["rel"] for link in page["items"][0]["links"]}


# --- list: filters, order, pages -------------------------------------------------------


def test_list_upcoming_first_then_past(client_for, event_factory):
    now = timezone.now()
    past = event_factory(starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3, hours=-2))
    older = event_factory(starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=9, hours=-2))
    later = event_factory(starts_at=now + timedelta(days=9))
    soon = event_factory(starts_at=now + timedelta(days=1))
    items = client_for(UserFactory()).get("/events/").json()["items"]
    assert [item["id"] for item in items] == [str(e.pk) for e in (soon, later, past, older)]


def test_list_filters(client_for, people, event_factory):
    tour = event_factory(kind=EventKind.COMPANY_TOUR, title="Tour of the robotics lab", starts_at=future(3))
    lecture = event_factory(kind=EventKind.GUEST_LECTURE, title="Lecture on compilers", starts_at=future(30))
    draft = event_factory(status=EventStatus.DRAFT, created_by=people[CREATOR], published_at=None)
    services.registration_create(actor=people[MEMBER], event_id=lecture.pk)
    member, staff = client_for(people[MEMBER]), client_for(people[OTHER])

    def ids(client, query):
        response = client.get(f"/events/?{query}")
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids(member, "kind=COMPANY_TOUR") == {str(tour.pk)}
    assert ids(member, "q=compilers") == {str(lecture.pk)}
    assert ids(member, "mine=true") == {str(lecture.pk)}
    assert ids(member, f"to={future(10).isoformat().replace('+', '%2B')}") == {str(tour.pk)}
    assert ids(member, f"from={future(10).isoformat().replace('+', '%2B')}") == {str(lecture.pk)}
    assert ids(member, f"from={future(10).date().isoformat()}") == {str(lecture.pk)}
    assert ids(member, f"to={(future(3)).date().isoformat()}") == {str(tour.pk)}  # through the end of that day
    assert ids(member, "status=DRAFT") == set()
    assert ids(staff, "status=DRAFT") == {str(draft.pk)}
    assert ids(client_for(people[CREATOR]), "mine=true") == {str(draft.pk)}


@pytest.mark.parametrize(("query", "param"), [("kind=PARTY", "kind"), ("from=soon", "from"), ("skip=-1", "skip")])
def test_list_bad_params_are_400(client_for, query, param):
    response = client_for(UserFactory()).get(f"/events/?{query}")
    assert response.status_code == 400
    assert param in response.json()


def test_list_pages(client_for, event_factory):
    event_factory.create_batch(7)
    page = client_for(UserFactory()).get("/events/?skip=2&limit=3").json()
    assert (page["total"], page["page"], page["size"]) == (7, 1 + 2 // 3, 3)
    links = {link["rel"]: parse_qs(urlsplit(link["href"]).query) for link in page["links"]}
    assert links["next"] == {"skip": ["5"], "limit": ["3"]}
    assert links["prev"] == {"skip": ["0"], "limit": ["3"]}


# --- query counts ---------------------------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries)


def _busy_event(capacity=3, people=8, **kwargs):
    event = EventFactory(capacity=capacity, **kwargs)
    for _ in range(people):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    return event


def test_list_query_count_is_fixed(client_for, people, django_assert_max_num_queries):
    for _ in range(3):
        _busy_event(people=3)
    member = client_for(people[MEMBER])
    with django_assert_max_num_queries(3):  # the user, the count, the page (with registrations as subqueries)
        assert member.get("/events/?limit=100").status_code == 200
    few = _queries(member, "/events/?limit=1")
    for _ in range(20):
        _busy_event(people=2)
    assert _queries(member, "/events/?limit=100") == few


def test_detail_query_count_is_fixed(client_for, people, django_assert_max_num_queries):
    event = _busy_event()
    services.registration_create(actor=people[MEMBER], event_id=event.pk)
    with django_assert_max_num_queries(2):  # the user, the event with the caller's registration
        body = client_for(people[MEMBER]).get(f"/events/{event.pk}").json()
    assert body["my_registration"]["status"] == "WAITLISTED"


def test_attendee_list_query_count_is_fixed(client_for, people, django_assert_max_num_queries):
    event = _busy_event(capacity=5, people=6, created_by=people[CREATOR])
    staff = client_for(people[ADMIN])
    with django_assert_max_num_queries(4):  # the user, the event, the count, the page
        assert staff.get(f"/events/{event.pk}/registrations?limit=100").status_code == 200
    few = _queries(staff, f"/events/{event.pk}/registrations?limit=1")
    for _ in range(30):
        services.registration_create(actor=UserFactory(), event_id=event.pk)
    assert _queries(staff, f"/events/{event.pk}/registrations?limit=100") == few


def test_registering_costs_a_bounded_number_of_queries(client_for, django_assert_max_num_queries):
    event = _busy_event(capacity=3, people=30)
    client = client_for(UserFactory())
    # lock, checks, insert, audit row, in-app and email rows (with their dedupe checks), the read-back
    with django_assert_max_num_queries(22):
        assert client.post(f"/events/{event.pk}/registrations").status_code == 201
