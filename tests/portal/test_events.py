"""The event list and the event page (test client, real database): who sees what, times in
the viewer's zone, filters and their 400s, and a fixed number of queries whatever the rows."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import EventKind, EventStatus, Registration, RegistrationStatus
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.models import Role

EVENTS = reverse("portal:events")


def page_of(event):
    return reverse("portal:event", kwargs={"slug": event.slug})


@pytest.fixture
def member(db):
    return UserFactory(time_zone="Europe/Paris")


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


# --- the list ---------------------------------------------------------------------------------


def test_a_visitor_sees_upcoming_approved_public_events_in_each_events_zone(client, db):
    shown = EventFactory(title="Robotics tour", time_zone="America/New_York", pro_only=True)
    EventFactory(title="Secret dinner", members_only=True)
    EventFactory(title="Still a draft", status=EventStatus.DRAFT)
    EventFactory(
        title="Long gone", starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=2)
    )
    response = client.get(EVENTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Robotics tour" in html and page_of(shown) in html
    assert "Secret dinner" not in html and "Still a draft" not in html and "Long gone" not in html
    assert "(America/New_York)" in html and "each event's local time zone" in html
    assert "Professional members only" in html and "10 seats left" in html


def test_a_member_sees_members_only_events_and_times_in_their_zone(as_member):
    event = EventFactory(title="Members dinner", members_only=True, time_zone="America/New_York")
    html = as_member.get(EVENTS).content.decode()
    assert "Members dinner" in html
    local = timezone.localtime(event.starts_at, timezone=__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert local.strftime("%H:%M") in html and "(Europe/Paris)" in html
    assert "Times are in your time zone, Europe/Paris." in html


def test_full_online_and_unlimited_events_say_so(client, db):
    EventFactory(title="Full one", capacity=1, seats_taken=1)
    EventFactory(title="Online one", location="", online_url="https://meet.example.com/secret-room", capacity=None)
    html = client.get(EVENTS).content.decode()
    assert "Waiting list" in html and "Online" in html and "Open seats" in html
    assert "secret-room" not in html


def test_events_public_off_sends_visitors_to_log_in(client, db, settings):
    settings.EVENTS_PUBLIC = False
    EventFactory()
    response = client.get(EVENTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login") + "?next=")


def test_search_kind_and_dates_filter(as_member):
    soon = timezone.now() + timedelta(days=2)
    EventFactory(title="Acme factory tour", kind=EventKind.COMPANY_TOUR, starts_at=soon)
    EventFactory(title="Interview practice", kind=EventKind.MOCK_INTERVIEW, starts_at=soon + timedelta(days=30))
    assert "Interview practice" not in as_member.get(EVENTS, {"q": "acme"}).content.decode()
    html = as_member.get(EVENTS, {"kind": EventKind.MOCK_INTERVIEW}).content.decode()
    assert "Interview practice" in html and "Acme factory tour" not in html
    day = (soon + timedelta(days=30)).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).date()
    html = as_member.get(EVENTS, {"start": day.isoformat(), "end": day.isoformat()}).content.decode()
    assert "Interview practice" in html and "Acme factory tour" not in html
    assert "1 event" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "PARTY"}, "kind"),
        ({"start": "2027-13-45"}, "start"),
        ({"start": "2027-02-01", "end": "2027-01-01"}, "end"),
        ({"q": "x" * 101}, "q"),
        ({"page": "0"}, "page"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(as_member, params, field):
    response = as_member.get(EVENTS, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    if field != "page":  # a hidden field: named in the summary only
        assert f'id="id_{field}_error"' in html and f'href="#id_{field}"' in html


def test_pages_of_twenty(as_member):
    for n in range(25):
        EventFactory(title=f"Talk number {n:02d}", starts_at=timezone.now() + timedelta(days=1, hours=n))
    first = as_member.get(EVENTS).content.decode()
    assert "25 events" in first and "Talk number 00" in first and "Talk number 20" not in first
    assert "Page 1 of 2" in first and "page=2" in first
    second = as_member.get(EVENTS, {"page": 2}).content.decode()
    assert "Talk number 20" in second and "Talk number 00" not in second


def test_a_card_links_its_page_escapes_its_text_and_shows_the_members_place(as_member, member):
    seat = EventFactory(title="Tea & <b>talk</b>", location="Hall <3", kind=EventKind.MOCK_INTERVIEW)
    full = EventFactory(title="Full house", capacity=1, seats_taken=1)
    Registration.objects.create(event=seat, user=member, status=RegistrationStatus.CONFIRMED)
    Registration.objects.create(event=full, user=member, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    html = as_member.get(EVENTS).content.decode()
    assert f'<h3><a href="{page_of(seat)}">Tea &amp; &lt;b&gt;talk&lt;/b&gt;</a></h3>' in html
    assert "<li>Hall &lt;3</li>" in html and "<b>talk" not in html
    assert f'<span class="tag">{EventKind.MOCK_INTERVIEW.label}</span>' in html
    assert '<span class="tag">You have a seat</span>' in html and '<span class="tag">On the waiting list</span>' in html


def test_the_filters_as_first_opened_are_the_same_on_every_request(as_member):
    """The unbound form's fields are rendered once per process: the second request reads them
    back, labelled, hinted and empty as the first."""
    first, second = (as_member.get(EVENTS).content.decode() for _ in range(2))
    for html in (first, second):
        assert '<label for="id_q">Search <span class="optional">(optional)</span></label>' in html
        assert 'aria-describedby="id_q_hint"' in html and 'id="id_q_hint"' in html
        assert '<option value="" selected>Any kind</option>' in html and "Clear filters" not in html
    start, end = first.index('<form method="get"'), first.index("</form>")
    assert second[start:end] == first[start:end]
    bound = as_member.get(EVENTS, {"q": "tea"}).content.decode()
    assert 'value="tea"' in bound and "Clear filters" in bound


@pytest.mark.parametrize("params", [{}, {"cancelled": "on"}])
@pytest.mark.parametrize("rows", [1, 30])
def test_the_list_costs_the_same_queries_whatever_the_rows(as_member, django_assert_num_queries, rows, params):
    for n in range(rows):
        EventFactory(**({"status": EventStatus.CANCELLED, "published_at": timezone.now()} if n % 3 == 1 else {}))
    # session, user, the page with its total, the header's unread count
    with django_assert_num_queries(4):
        response = as_member.get(EVENTS, params)
    assert response.status_code == 200
    assert len(response.content) < 30_000


@pytest.mark.parametrize("rows", [1, 30])
def test_a_visitors_list_costs_one_query(client, db, django_assert_num_queries, rows):
    for _ in range(rows):
        EventFactory()
    with django_assert_num_queries(1):
        assert client.get(EVENTS).status_code == 200


# --- one event --------------------------------------------------------------------------------


def test_the_event_page_is_shareable_and_public(client, db):
    organiser = UserFactory(role=Role.MANAGER, nickname="the_organiser")
    event = EventFactory(
        title="Guest lecture on compilers",
        description="Parsing, then questions.",
        requirements="Bring a laptop.",
        created_by=organiser,
        online_url="https://meet.example.com/room-42",
    )
    response = client.get(page_of(event))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Parsing, then questions." in html and "Bring a laptop." in html and "the_organiser" in html
    assert "room-42" not in html
    assert f"{reverse('portal:login')}?next={page_of(event)}" in html and "Log in to register" in html
    assert reverse("portal:event-calendar", kwargs={"slug": event.slug}) in html


def test_a_visitor_asking_for_a_members_only_event_is_sent_to_log_in(client, db):
    event = EventFactory(members_only=True)
    response = client.get(page_of(event))
    assert response.status_code == 302 and "next=" in response["Location"]
    assert client.get(reverse("portal:event", kwargs={"slug": "no-such-event"})).status_code == 302


def test_a_member_gets_a_404_for_an_event_they_may_not_see(as_member):
    event = EventFactory(status=EventStatus.DRAFT, published_at=None)
    assert as_member.get(page_of(event)).status_code == 404
    assert as_member.get(reverse("portal:event", kwargs={"slug": "no-such-event"})).status_code == 404


def test_registering_without_javascript_redirects_with_a_message_and_notifies(as_member, member):
    event = EventFactory()
    response = as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}), follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(page_of(event), 302)]
    assert "You are registered: your seat is confirmed." in html and "You have a seat." in html
    registration = Registration.objects.get(event=event, user=member)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert member.notifications.filter(kind="events.registration_confirmed").exists()
    event.refresh_from_db()
    assert event.seats_taken == 1
    response = as_member.post(reverse("portal:event-cancel", kwargs={"slug": event.slug}), follow=True)
    assert "Your registration is cancelled." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def test_registering_with_htmx_swaps_the_panel_and_the_unread_count(as_member):
    event = EventFactory()
    response = as_member.post(
        reverse("portal:event-register", kwargs={"slug": event.slug}), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="registration"') and "<html" not in html
    assert 'id="nav-notifications" hx-swap-oob="true"' in html and '<span class="badge">1' in html
    assert "Cancel my registration" in html


def test_a_full_event_puts_the_member_on_the_waiting_list_with_their_position(as_member, member):
    event = EventFactory(capacity=1)
    Registration.objects.create(event=event, user=UserFactory(), status=RegistrationStatus.CONFIRMED)
    event.seats_taken = 1
    event.save()
    Registration.objects.create(
        event=event, user=UserFactory(), status=RegistrationStatus.WAITLISTED, waitlist_position=1
    )
    assert "Join the waiting list" in as_member.get(page_of(event)).content.decode()
    response = as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}), follow=True)
    html = response.content.decode()
    assert "you are number 2 on the waiting list" in html
    assert "You are number 2 on the waiting list" in html and "Leave the waiting list" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_refusal_is_shown_with_its_status(as_member, member, htmx):
    event = EventFactory(pro_only=True)
    headers = {"HX-Request": "true"} if htmx else {}
    response = as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}), headers=headers)
    assert response.status_code == 400
    assert "This event is for professional members only." in response.content.decode()
    assert (response.get("X-Portal-Partial") == "true") is htmx
    assert not Registration.objects.filter(event=event).exists()


def test_registering_twice_is_a_409(as_member, member):
    event = EventFactory()
    as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}))
    response = as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}))
    assert response.status_code == 409
    assert "already registered" in response.content.decode()


def test_cancelling_without_a_registration_is_a_404_with_the_message(as_member):
    event = EventFactory()
    response = as_member.post(reverse("portal:event-cancel", kwargs={"slug": event.slug}))
    assert response.status_code == 404
    assert "There is no registration to cancel." in response.content.decode()


def test_a_visitor_posting_is_sent_to_log_in(client, db):
    event = EventFactory()
    response = client.post(reverse("portal:event-register", kwargs={"slug": event.slug}))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert not Registration.objects.exists()


def test_registration_paused_while_an_approved_event_is_reviewed_again(as_member):
    event = EventFactory(status=EventStatus.PENDING, published_at=timezone.now() - timedelta(days=1))
    response = as_member.get(page_of(event))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Registration paused" in html and ">Register<" not in html
    response = as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}))
    assert response.status_code == 400


def test_the_online_link_and_attendees_are_for_confirmed_registrants(as_member, member):
    event = EventFactory(capacity=1, online_url="https://meet.example.com/room-42")
    listed = UserFactory(nickname="listed_person", show_in_directory=True)
    UserFactory(nickname="hidden_person")
    waiting_html = as_member.get(page_of(event)).content.decode()
    assert "room-42" not in waiting_html and "Who else is coming" not in waiting_html
    as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}))
    for person, status, position in ((listed, "WAITLISTED", 1),):
        Registration.objects.create(event=event, user=person, status=status, waitlist_position=position)
    html = as_member.get(page_of(event)).content.decode()
    assert "room-42" in html and "Who else is coming" in html
    assert "listed_person" not in html  # waiting, not holding a seat
    Registration.objects.filter(user=listed).update(status=RegistrationStatus.CONFIRMED, waitlist_position=None)
    html = as_member.get(page_of(event)).content.decode()
    assert "listed_person" in html and "hidden_person" not in html and listed.email not in html


def test_the_waiting_list_never_sees_the_online_link(as_member, member):
    event = EventFactory(capacity=1, seats_taken=1, online_url="https://meet.example.com/room-42")
    as_member.post(reverse("portal:event-register", kwargs={"slug": event.slug}))
    assert Registration.objects.get(user=member).status == RegistrationStatus.WAITLISTED
    assert "room-42" not in as_member.get(page_of(event)).content.decode()
    ics = as_member.get(reverse("portal:event-calendar", kwargs={"slug": event.slug}))
    assert b"room-42" not in ics.content


def test_staff_see_the_online_link(client, db):
    staff = UserFactory(role=Role.MANAGER)
    client.force_login(staff)
    event = EventFactory(online_url="https://meet.example.com/room-42")
    assert "room-42" in client.get(page_of(event)).content.decode()


def test_the_calendar_file_works_in_a_browser_session(client, db):
    event = EventFactory(title="Compilers")
    response = client.get(reverse("portal:event-calendar", kwargs={"slug": event.slug}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:Compilers" in response.content


def test_links_by_id_lead_to_the_shareable_page(as_member):
    event = EventFactory()
    response = as_member.get(reverse("portal:event-by-id", kwargs={"event_id": event.pk}))
    assert response.status_code == 302 and response["Location"] == page_of(event)


@pytest.mark.parametrize("state", ["visitor", "member", "registered"])
@pytest.mark.parametrize("attendees", [1, 20])
def test_the_event_page_costs_the_same_queries_whatever_the_attendees(
    client, db, django_assert_num_queries, state, attendees
):
    event = EventFactory(capacity=None)
    for _ in range(attendees):
        Registration.objects.create(
            event=event, user=UserFactory(show_in_directory=True), status=RegistrationStatus.CONFIRMED
        )
    expected = 1
    if state != "visitor":
        user = UserFactory()
        if state == "registered":
            Registration.objects.create(event=event, user=user, status=RegistrationStatus.CONFIRMED)
        client.force_login(user)
        # session, user, the event with the member's registration, the unread count (+ the attendees)
        expected = 4 + (state == "registered")
    with django_assert_num_queries(expected):
        response = client.get(page_of(event))
    assert response.status_code == 200
    assert len(response.content) < 30_000


def test_the_list_marks_paused_events_shows_cancelled_ones_when_asked_and_staff_see_only_approved_ones(
    client, member, db
):
    published = timezone.now() - timedelta(days=1)
    EventFactory(title="Under review again", status=EventStatus.PENDING, published_at=published)
    EventFactory(title="Called off", status=EventStatus.CANCELLED, published_at=published)
    EventFactory(title="A draft", status=EventStatus.DRAFT, published_at=None)
    client.force_login(member)
    html = client.get(EVENTS).content.decode()
    assert "Under review again" in html and "Registration paused" in html and "1 event<" in html
    assert "Called off" not in html and "A draft" not in html
    assert 'name="cancelled"' in html and "Include cancelled events" in html
    html = client.get(EVENTS, {"cancelled": "on"}).content.decode()
    assert "Called off" in html and '<span class="tag">Cancelled</span>' in html and "2 events" in html
    assert "A draft" not in html and 'name="cancelled" id="id_cancelled" checked' in html
    client.logout()
    assert "Called off" not in client.get(EVENTS).content.decode()
    assert "Called off" in client.get(EVENTS, {"cancelled": "on"}).content.decode()
    client.force_login(UserFactory(role=Role.MANAGER))
    html = client.get(EVENTS).content.decode()
    assert "A draft" not in html and "Under review again" not in html
