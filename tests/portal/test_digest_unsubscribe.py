"""The daily digest's one-click unsubscribe (RFC 8058): the digest carries List-Unsubscribe and
List-Unsubscribe-Post; GET asks, POST stops the digest without a login — every kind that waited
for it stops being emailed, a mandatory one comes as it happens instead — and a forged token is a 400."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from events.notices import REGISTRATION_CONFIRMED
from events.services import registration_create
from notifications.messages import DIGEST_KIND
from notifications.models import EmailStatus, Notification, NotificationPreference, OutgoingEmail
from notifications.preferences import preference_list
from notifications.registry import DAILY, IMMEDIATELY
from notifications.services import digest_plan, digest_send, notify
from notifications.unsubscribe import read_unsubscribe_token, unsubscribe_token
from tests.events.conftest import EventFactory
from tests.factories import UserFactory
from users.notices import PROFESSIONAL_GRANTED

pytestmark = pytest.mark.django_db


@pytest.fixture
def daily_member():
    """A member who asked for two kinds in the digest: an optional one and a mandatory one."""
    member = UserFactory()
    for kind in (PROFESSIONAL_GRANTED, REGISTRATION_CONFIRMED):
        NotificationPreference.objects.create(user=member, kind=kind, digest=DAILY)
    return member


@pytest.fixture
def held(daily_member, django_capture_on_commit_callbacks):
    """One held email of each kind."""
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=daily_member, kind=PROFESSIONAL_GRANTED, context={})
        registration_create(actor=daily_member, event_id=EventFactory(title="Robotics tour").pk)
    assert OutgoingEmail.objects.filter(user=daily_member, status=EmailStatus.HELD).count() == 2
    return daily_member


def url_for(user, key=DIGEST_KIND):
    return reverse("portal:unsubscribe", kwargs={"token": unsubscribe_token(user_id=user.pk, kind=key)})


def choices(user):
    return {item["kind"]: (item["email"], item["in_app"], item["digest"]) for item in preference_list(user=user)}


def test_the_digest_carries_its_own_one_click_unsubscribe(held, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(any_hour=True) == 1
    (digest,) = mailoutbox
    header = digest.extra_headers["List-Unsubscribe"]
    token = re.fullmatch(rf"<{re.escape(settings.SERVER_BASE_URL)}/app/unsubscribe/([\w:-]+)/>", header)[1]
    assert read_unsubscribe_token(token) == (str(held.pk), DIGEST_KIND)
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Stop the digest: {header[1:-1]}" in digest.body
    assert f'href="{header[1:-1]}"' in digest.alternatives[0].content


def test_get_asks_and_changes_nothing(held, client, django_assert_num_queries):
    before = choices(held)
    with django_assert_num_queries(2):  # the user, their preferences
        page = client.get(url_for(held))
    html = page.content.decode()
    assert page.status_code == 200 and "Stop the daily digest" in html and "<button" in html
    assert "<li>Professional status granted</li>" in html
    assert "one by one, as they happen" in html and "Registration confirmed" in html
    assert choices(held) == before
    assert OutgoingEmail.objects.filter(user=held, status=EmailStatus.HELD).count() == 2


def test_post_stops_the_digest_without_a_login(held, client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url_for(held), {"List-Unsubscribe": "One-Click"})
    html = done.content.decode()
    assert done.status_code == 200 and "no more daily digest" in html and "<button" not in html
    after = choices(held)
    assert after[PROFESSIONAL_GRANTED] == (False, True, DAILY)  # no email; in-app notices go on
    assert after[REGISTRATION_CONFIRMED] == (True, True, IMMEDIATELY)  # mandatory: as it happens
    assert Notification.objects.filter(recipient=held, kind=PROFESSIONAL_GRANTED).exists()
    # What was held: the optional email dropped, the mandatory one sent now; nothing left for a digest.
    assert not OutgoingEmail.objects.filter(user=held, kind=PROFESSIONAL_GRANTED).exists()
    confirmation = OutgoingEmail.objects.get(user=held, kind=REGISTRATION_CONFIRMED)
    assert confirmation.status == EmailStatus.SENT
    assert [mail.to for mail in mailoutbox] == [[held.email]] and "Robotics tour" in mailoutbox[0].subject
    assert digest_send(any_hour=True) == 0

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=held, kind=PROFESSIONAL_GRANTED, context={})
    assert not OutgoingEmail.objects.filter(user=held, kind=PROFESSIONAL_GRANTED).exists()
    assert client.post(url_for(held)).status_code == 200  # a second click is harmless


def test_only_the_kinds_that_wait_for_the_digest_change_defaults_included(client):
    member = UserFactory()
    before = choices(member)
    daily = {kind for kind, (email, _, digest) in before.items() if email and digest == DAILY}
    html = client.post(url_for(member)).content.decode()
    assert "no more daily digest" in html and "notification preferences" in html
    after = choices(member)
    assert digest_plan(user=member) == {"off": [], "at_once": []}
    assert {kind for kind in before if after[kind] != before[kind]} == daily


@pytest.mark.parametrize("forgery", ["tampered", "other-salt", "closed"])
def test_a_forged_digest_token_is_a_400(held, client, forgery):
    token = unsubscribe_token(user_id=held.pk, kind=DIGEST_KIND)
    if forgery == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif forgery == "other-salt":
        from django.core import signing

        token = signing.dumps({"u": str(held.pk), "k": DIGEST_KIND}, salt="users.something-else")
    else:
        type(held).objects.filter(pk=held.pk).update(closed_at="2026-01-01T00:00Z")
    before = choices(held)
    response = client.post(reverse("portal:unsubscribe", kwargs={"token": token}))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert choices(held) == before
    assert OutgoingEmail.objects.filter(user=held, status=EmailStatus.HELD).count() == 2
