"""The outbox and the notifications in the admin show labels, not machine keys, and an email's
page shows what was sent: rendered again, escaped, without any token link."""

import pytest
from django.urls import reverse

from notifications.models import EmailStatus, OutgoingEmail
from notifications.preview import WITHHELD
from notifications.services import notify
from tests.factories import UserFactory
from users.notices import PASSWORD_RESET

from .conftest import PLAIN

pytestmark = pytest.mark.django_db

OUTBOX = reverse("admin:notifications_outgoingemail_changelist")
NOTIFICATIONS = reverse("admin:notifications_notification_changelist")


def email(user, kind, context=None, status=EmailStatus.SENT):
    return OutgoingEmail.objects.create(
        user=user, to_address=user.email, kind=kind, context=context or {}, status=status
    )


def test_the_outbox_lists_labels_and_filters_by_them(admin_site_client, admin_user):
    email(admin_user, "events.registration_confirmed", {"title": "Lab tour"})
    html = admin_site_client.get(OUTBOX).content.decode()
    assert '<span title="events.registration_confirmed">Registration confirmed</span>' in html
    assert ">events.registration_confirmed<" not in html
    filtered = admin_site_client.get(OUTBOX, {"kind": "events.registration_confirmed"})
    assert len(filtered.context["cl"].result_list) == 1
    assert "Daily digest" in html  # the filter offers the digest by its label too


def test_notifications_list_labels(admin_site_client, admin_user):
    notify(recipient=admin_user, kind=PLAIN, context={"name": "Lab tour", "starts": "9:00", "event_id": "x"})
    html = admin_site_client.get(NOTIFICATIONS).content.decode()
    assert '<span title="tests.event_changed">Event changed</span>' in html


def test_an_email_page_previews_the_text_escaped(admin_site_client):
    member = UserFactory()
    row = email(member, PLAIN, {"name": "<script>alert(1)</script>", "starts": "9:00", "event_id": "e1"})

    html = admin_site_client.get(reverse("admin:notifications_outgoingemail_change", args=[row.pk])).content.decode()

    assert '<div class="email-preview">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; changed" in html
    assert "<script>alert(1)</script>" not in html


def test_a_token_link_is_never_previewed(admin_site_client):
    member = UserFactory()
    row = email(member, PASSWORD_RESET)

    html = admin_site_client.get(reverse("admin:notifications_outgoingemail_change", args=[row.pk])).content.decode()

    assert "/reset/" not in html
    assert WITHHELD in html or "Links made with a token at delivery are not shown." in html
