"""notify / notify_many against the real database: rows, preferences, dedupe, delivery after commit."""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications.models import EmailStatus, Notification, NotificationPreference, OutgoingEmail
from notifications.registry import DAILY, Kind, UnknownKind, get_kind, register
from notifications.services import email_deliver, email_sweep, notify, notify_many
from tests.factories import UserFactory

from .conftest import IN_APP_ONLY, PLAIN, URGENT, WITH_FILE

EVENT_ID = uuid.UUID("3fa85f64-5717-4562-b3fc-2c963f66afa6")
CONTEXT = {"name": "Django meetup", "starts": "18:00", "event_id": EVENT_ID}


def deliver(capture, **kwargs):
    with capture(execute=True):
        return notify(**kwargs)


@pytest.mark.django_db
def test_notify_writes_both_rows_and_mails_after_commit(verified_user, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delivery = notify(recipient=verified_user, kind=PLAIN, context=CONTEXT)
        assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    note = Notification.objects.get(recipient=verified_user)
    assert (note.kind, note.title, note.body, note.read_at) == (
        PLAIN,
        "Django meetup changed",
        "It now starts at 18:00.",
        None,
    )
    assert note.link == f"http://localhost:8000/events/{EVENT_ID}"
    assert delivery.notification == note
    email = OutgoingEmail.objects.get(user=verified_user)
    assert email.context == {**CONTEXT, "event_id": str(EVENT_ID)}  # stored as JSON
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    [message] = mailoutbox
    assert message.subject == "Django meetup changed"
    assert message.to == [verified_user.email]
    assert "It now starts at 18:00." in message.body
    assert f"/events/{EVENT_ID}" in message.alternatives[0].content


@pytest.mark.django_db
def test_a_kind_with_one_channel_writes_only_that_row(verified_user, mailoutbox, django_capture_on_commit_callbacks):
    deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=IN_APP_ONLY, context={"badge": "speaker"})

    assert Notification.objects.get(recipient=verified_user).title == "Badge speaker"
    assert not OutgoingEmail.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_attachments_are_made_at_delivery(verified_user, mailoutbox, django_capture_on_commit_callbacks):
    deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=WITH_FILE)

    [message] = mailoutbox
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("ticket.ics", "text/calendar")
    assert f"X-WHO:{verified_user.pk}" in content


@pytest.mark.django_db
def test_to_address_overrides_the_recipients_email(verified_user, mailoutbox, django_capture_on_commit_callbacks):
    deliver(
        django_capture_on_commit_callbacks,
        recipient=verified_user,
        kind=URGENT,
        context={"what": "new address"},
        to_address="new@example.com",
    )

    assert [message.to for message in mailoutbox] == [["new@example.com"]]


@pytest.mark.django_db
def test_unknown_kind_and_non_json_context_are_refused(verified_user):
    with pytest.raises(UnknownKind):
        notify(recipient=verified_user, kind="tests.nothing")
    with pytest.raises(TypeError, match="JSON"):
        notify(recipient=verified_user, kind=PLAIN, context={"user": verified_user})
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_written_or_sent_when_the_transaction_rolls_back(mailoutbox):
    recipient = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=recipient, kind=PLAIN, context=CONTEXT)
        raise RuntimeError("the change failed")

    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "in_app", "rows"),
    [(True, True, (1, 1)), (False, True, (1, 0)), (True, False, (0, 1)), (False, False, (0, 0))],
)
def test_preferences_choose_the_channels(
    verified_user, mailoutbox, django_capture_on_commit_callbacks, email, in_app, rows
):
    NotificationPreference.objects.create(user=verified_user, kind=PLAIN, email=email, in_app=in_app)

    deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=PLAIN, context=CONTEXT)

    assert (Notification.objects.count(), OutgoingEmail.objects.count()) == rows
    assert len(mailoutbox) == rows[1]


@pytest.mark.django_db
def test_a_mandatory_kind_ignores_a_preference_row(verified_user, mailoutbox, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=verified_user, kind=URGENT, email=False, in_app=False, digest=DAILY)

    deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=URGENT, context={"what": "login"})

    assert Notification.objects.get().title == "Security: login"
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_daily_digest_holds_the_email(verified_user, mailoutbox, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=verified_user, kind=PLAIN, digest=DAILY)

    delivery = deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=PLAIN, context=CONTEXT)

    assert delivery.email.status == EmailStatus.HELD
    assert email_deliver(email_id=delivery.email.pk) is False  # a stray task does not send a held email
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=verified_user).count() == 1  # in-app is immediate


@pytest.mark.django_db
def test_the_same_dedupe_key_never_notifies_twice(verified_user, mailoutbox, django_capture_on_commit_callbacks):
    for _ in range(3):
        deliver(
            django_capture_on_commit_callbacks,
            recipient=verified_user,
            kind=PLAIN,
            context=CONTEXT,
            dedupe_key=str(EVENT_ID),
        )
    deliver(
        django_capture_on_commit_callbacks, recipient=verified_user, kind=PLAIN, context=CONTEXT, dedupe_key="other"
    )

    assert Notification.objects.count() == 2
    assert OutgoingEmail.objects.count() == 2
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_a_long_dedupe_key_is_hashed_to_fit(verified_user, django_capture_on_commit_callbacks):
    key = "x" * 400
    deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=PLAIN, context=CONTEXT, dedupe_key=key)
    deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=PLAIN, context=CONTEXT, dedupe_key=key)

    assert OutgoingEmail.objects.count() == 1
    assert len(OutgoingEmail.objects.get().dedupe_key) <= 255


# --- notify_many -------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_many_fans_out_in_a_fixed_number_of_queries(
    mailoutbox, django_capture_on_commit_callbacks, django_assert_max_num_queries, settings
):
    settings.NOTIFICATIONS_EAGER_INLINE_MAX = 10_000
    people = UserFactory.create_batch(30)
    quiet, digest = people[0], people[1]
    NotificationPreference.objects.create(user=quiet, kind=PLAIN, email=False, in_app=False)
    NotificationPreference.objects.create(user=digest, kind=PLAIN, digest=DAILY)

    with django_assert_max_num_queries(8), django_capture_on_commit_callbacks() as callbacks:
        count = notify_many(recipients=[person.pk for person in people], kind=PLAIN, context=CONTEXT)
    assert count == 30
    assert Notification.objects.count() == 29
    assert OutgoingEmail.objects.filter(status=EmailStatus.PENDING).count() == 28
    assert OutgoingEmail.objects.get(user=digest).status == EmailStatus.HELD
    assert len(callbacks) == 1  # one batch for the worker

    callbacks[0]()
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 28
    assert sorted(message.to[0] for message in mailoutbox) == sorted(p.email for p in people[2:])


@pytest.mark.django_db
def test_notify_many_accepts_a_queryset_and_dedupes_a_rerun(mailoutbox, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    UserFactory.create_batch(5)
    everyone = get_user_model().objects.all()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notify_many(recipients=everyone, kind=PLAIN, context=CONTEXT, dedupe_key=f"cancel:{EVENT_ID}")

    assert Notification.objects.count() == 5
    assert OutgoingEmail.objects.count() == 5
    assert len(mailoutbox) == 5


@pytest.mark.django_db
def test_a_large_fan_out_without_a_broker_is_left_for_the_sweep(
    mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_EAGER_INLINE_MAX = 3
    people = UserFactory.create_batch(5)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify_many(recipients=people, kind=PLAIN, context=CONTEXT)

    assert callbacks == []
    assert mailoutbox == []
    assert set(OutgoingEmail.objects.values_list("status", "queued_at")) == {(EmailStatus.PENDING, None)}
    assert email_sweep() == 0  # younger than a minute

    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert email_sweep() == 5
    assert len(mailoutbox) == 5
    assert email_sweep() == 0


# --- the registry --------------------------------------------------------------------


def test_a_taken_key_cannot_be_registered_with_another_definition():
    register(get_kind(PLAIN))  # the same definition again is harmless
    with pytest.raises(ValueError, match="already registered"):
        register(Kind(key=PLAIN, label="Something else"))


@pytest.mark.parametrize(
    "fields",
    [
        {"key": "nodot"},
        {"key": "tests.x", "channels": ()},
        {"key": "tests.x", "channels": ("sms",)},
        {"key": "tests.x", "default_digest": "weekly"},
        {"key": "tests.x", "urgent": True, "default_digest": DAILY},
    ],
)
def test_a_kind_is_checked_when_declared(fields):
    with pytest.raises(ValueError):
        Kind(label="x", **fields)


def test_the_verification_kind_is_registered_by_users():
    kind = get_kind("users.verify_email")
    assert (kind.channels, kind.mandatory, kind.urgent) == (("email", "in_app"), True, True)


@pytest.mark.django_db
def test_in_app_text_is_stored_as_plain_text_and_escaped_only_in_html(
    verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    context = {**CONTEXT, "name": "Tom & Jerry <live>"}
    deliver(django_capture_on_commit_callbacks, recipient=verified_user, kind=PLAIN, context=context)

    assert Notification.objects.get().title == "Tom & Jerry <live> changed"
    [message] = mailoutbox
    assert message.subject == "Tom & Jerry <live> changed"
    assert "Tom & Jerry <live> changed" in message.body
    assert "Tom &amp; Jerry &lt;live&gt; changed" in message.alternatives[0].content


@pytest.mark.django_db
def test_an_email_of_a_kind_no_longer_registered_fails_once_and_is_not_retried(verified_user, mailoutbox):
    email = OutgoingEmail.objects.create(user=verified_user, to_address=verified_user.email, kind="gone.away")

    assert email_deliver(email_id=email.pk) is False

    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 1)
    assert "gone.away" in email.last_error
    assert mailoutbox == []
