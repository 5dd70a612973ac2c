"""Security notices reach the dashboard too (issue: every kind is shown in-app); their token
links are made for the email only."""

import pytest

from notifications.models import Notification
from users.services import user_register

pytestmark = pytest.mark.django_db


def test_a_new_member_finds_the_verification_notice_in_app_without_its_link(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(email="fresh.member@example.com", password="Secure*1234")

    notice = Notification.objects.get(recipient=user)
    assert notice.title == "Confirm your email address"
    assert "/verify-email/" not in notice.body + (notice.link or "")
