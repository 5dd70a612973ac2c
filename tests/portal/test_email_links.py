"""Links in notices lead people to pages: an event's to its member page, a rejection's to the admin."""

from events.models import EventStatus
from events.services import event_reject, registration_create
from notifications.models import Notification
from tests.events.conftest import EventFactory
from tests.factories import UserFactory


def test_a_confirmation_links_to_the_events_member_page(client, db, django_capture_on_commit_callbacks):
    member, event = UserFactory(), EventFactory()
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(actor=member, event_id=event.pk)
    link = Notification.objects.get(recipient=member, kind="events.registration_confirmed").link
    assert link.endswith(f"/app/events/id/{event.pk}/")
    client.force_login(member)
    opened = client.get(link, follow=True)
    assert opened.status_code == 200
    assert opened.redirect_chain[-1][0] == f"/app/events/{event.slug}/"


def test_a_rejection_links_the_creator_to_the_admin_to_edit_and_resubmit(db, django_capture_on_commit_callbacks):
    creator, reviewer = UserFactory(manager=True), UserFactory(manager=True)
    event = EventFactory(status=EventStatus.PENDING, created_by=creator)
    with django_capture_on_commit_callbacks(execute=True):
        event_reject(actor=reviewer, event_id=event.pk, feedback="Add the address.")
    link = Notification.objects.get(recipient=creator, kind="events.rejected").link
    assert link.endswith(f"/admin/events/event/{event.pk}/change/")
