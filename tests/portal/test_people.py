"""Meet people: only members who opted in, only what they chose to show; searchable; fixed queries."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

PEOPLE = reverse("portal:people")


@pytest.fixture
def as_member(client, db):
    client.force_login(UserFactory())
    return client


def test_only_members_who_opted_in_are_listed_with_only_their_public_fields(as_member):
    shown = UserFactory(
        nickname="ada_l",
        first_name="Ada",
        last_name="Lovelace",
        bio="Engines and notes.",
        is_professional=True,
        show_in_directory=True,
        linkedin_profile_url="https://www.linkedin.com/in/ada",
        github_profile_url="https://github.com/ada",
        resume_url="https://example.com/ada-cv.pdf",
    )
    UserFactory(nickname="quiet_one")
    UserFactory(nickname="locked_one", show_in_directory=True, is_locked=True)
    html = as_member.get(PEOPLE).content.decode()
    assert "ada_l" in html and "Ada Lovelace" in html and "Engines and notes." in html
    assert "linkedin.com/in/ada" in html and "github.com/ada" in html and ">Pro<" in html
    assert shown.email not in html and "ada-cv.pdf" not in html
    assert "quiet_one" not in html and "locked_one" not in html
    assert "1 member" in html


def test_search(as_member):
    UserFactory(nickname="grace_h", bio="Compilers.", show_in_directory=True)
    UserFactory(nickname="alan_t", bio="Machines.", show_in_directory=True)
    html = as_member.get(PEOPLE, {"q": "compil"}).content.decode()
    assert "grace_h" in html and "alan_t" not in html
    html = as_member.get(PEOPLE, {"q": "nobody-like-this"}).content.decode()
    assert "Nobody listed matches" in html


def test_empty_directory(as_member):
    assert "Nobody has chosen to be listed yet." in as_member.get(PEOPLE).content.decode()


def test_a_too_long_search_is_a_400_naming_the_field(as_member):
    response = as_member.get(PEOPLE, {"q": "x" * 101})
    assert response.status_code == 400
    assert 'id="id_q_error"' in response.content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_the_directory_costs_the_same_queries_whatever_the_rows(as_member, django_assert_num_queries, rows):
    for _ in range(rows):
        UserFactory(show_in_directory=True)
    # session, user, count, page, unread count
    with django_assert_num_queries(5):
        response = as_member.get(PEOPLE)
    assert response.status_code == 200 and len(response.content) < 30_000
