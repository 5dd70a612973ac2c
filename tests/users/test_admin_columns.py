"""The user list's columns: "Locked" says so on a locked account and nothing on the others."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_locked_is_a_word_on_locked_accounts_and_blank_elsewhere(admin_site_client):
    UserFactory(email="fine@example.com")
    UserFactory(email="stuck@example.com", locked=True)

    html = admin_site_client.get("/admin/users/user/").content.decode()
    stuck = next(row for row in html.split("<tr") if "stuck@example.com" in row)
    fine = next(row for row in html.split("<tr") if "fine@example.com" in row)
    assert '<span class="user-locked" title="Logging in is refused">Locked</span>' in stuck
    assert "user-locked" not in fine
    assert '<td class="field-locked"></td>' in fine  # blank, not a red ✖
