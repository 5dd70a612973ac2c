"""The notifications admin, through the test client as staff: own notifications by default, anyone's on demand."""

import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from tests.factories import UserFactory

from .conftest import IN_APP_ONLY, PLAIN

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_notification_changelist")
PREFERENCES = reverse("admin:notifications_notificationpreference_changelist")
ADD_PREFERENCE = reverse("admin:notifications_notificationpreference_add")


def note(user, badge):
    return notify(recipient=user, kind=IN_APP_ONLY, context={"badge": badge}).notification


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_staff_see_their_own_by_default_and_anyones_on_demand(request, who):
    staff = request.getfixturevalue(f"{who}_user")
    client = request.getfixturevalue(f"{who}_site_client")
    member = UserFactory()
    note(staff, "mine")
    note(member, "theirs")

    own = client.get(CHANGELIST)
    everyone = client.get(CHANGELIST, {"whose": "all"})
    one_member = client.get(CHANGELIST, {"recipient__id__exact": str(member.pk)})

    assert own.status_code == everyone.status_code == one_member.status_code == 200
    assert [n.title for n in own.context["cl"].result_list] == ["Badge mine"]
    assert sorted(n.title for n in everyone.context["cl"].result_list) == ["Badge mine", "Badge theirs"]
    assert [n.title for n in one_member.context["cl"].result_list] == ["Badge theirs"]


def test_staff_can_open_anyones_notification(admin_site_client):
    theirs = note(UserFactory(), "theirs")

    response = admin_site_client.get(reverse("admin:notifications_notification_change", args=[theirs.pk]))

    assert response.status_code == 200
    assert b"Badge theirs" in response.content


def test_changelist_queries_do_not_grow_with_rows(admin_site_client, admin_user, django_assert_max_num_queries):
    for index in range(30):
        note(admin_user, str(index))
    with django_assert_max_num_queries(12):
        response = admin_site_client.get(CHANGELIST, {"whose": "all"})
    assert response.status_code == 200


def test_members_cannot_open_it(client, verified_user):
    client.force_login(verified_user)

    assert client.get(CHANGELIST).status_code == 302  # to the admin login


def test_nobody_adds_or_edits_notifications(admin_site_client, admin_user):
    mine = note(admin_user, "mine")

    assert admin_site_client.get(reverse("admin:notifications_notification_add")).status_code == 403
    response = admin_site_client.post(
        reverse("admin:notifications_notification_change", args=[mine.pk]), {"title": "changed"}
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.title == "Badge mine"


def test_mark_read_action_marks_only_the_staff_members_own(admin_site_client, admin_user):
    mine = note(admin_user, "mine")
    theirs = note(UserFactory(), "theirs")

    response = admin_site_client.post(
        f"{CHANGELIST}?whose=all",
        {"action": "mark_read", "_selected_action": [mine.pk, theirs.pk]},
        follow=True,
    )

    assert response.status_code == 200
    text = [str(message) for message in response.context["messages"]]
    assert text == ["Marked 1 notification(s) read. 1 belong to someone else and were left as they are."]
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_a_preference_can_be_set_in_the_admin(admin_site_client, verified_user):
    response = admin_site_client.post(
        ADD_PREFERENCE, {"user": verified_user.pk, "kind": PLAIN, "email": "on", "digest": "daily"}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    row = NotificationPreference.objects.get(user=verified_user)
    assert (row.kind, row.email, row.in_app, row.digest) == (PLAIN, True, False, "daily")
    assert admin_site_client.get(PREFERENCES).status_code == 200


@pytest.mark.parametrize(
    ("kind", "message"),
    [("users.verify_email", "users.verify_email is mandatory"), (IN_APP_ONLY, "has no email channel")],
)
def test_the_admin_form_applies_the_api_rules(admin_site_client, verified_user, kind, message):
    response = admin_site_client.post(
        ADD_PREFERENCE, {"user": verified_user.pk, "kind": kind, "email": "on", "digest": "immediately"}
    )

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors)
    assert not NotificationPreference.objects.exists()
