"""The user counter (triggers), the deferred-join pages and the bounded page parameters."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.pagination import MAX_SKIP
from tests.factories import UserFactory
from users.counting import ensure_triggers
from users.models import User, UserCount
from users.selectors import user_count, user_total

pytestmark = pytest.mark.django_db


def stored_total():
    return UserCount.objects.get(pk=1).total


def test_counter_follows_every_kind_of_write():
    start = User.objects.count()
    assert stored_total() == start

    UserFactory.create_batch(3)
    User.objects.bulk_create([User(email=f"bulk{i}@example.com", nickname=f"bulk_{i}") for i in range(5)])
    assert stored_total() == start + 8

    User.objects.filter(email__startswith="bulk").delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM users_user WHERE email = %s", [User.objects.first().email])
    assert stored_total() == User.objects.count() == start + 2


def test_missing_triggers_are_recreated_and_the_count_repaired():
    UserFactory.create_batch(2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER users_user_count_insert ON users_user")
        else:
            cursor.execute("DROP TRIGGER users_user_count_insert")
    UserFactory.create_batch(3)
    assert stored_total() != User.objects.count()

    assert ensure_triggers() is True
    assert stored_total() == User.objects.count()
    UserFactory()
    assert stored_total() == User.objects.count()
    assert ensure_triggers() is False


def test_missing_counter_row_is_rebuilt_from_a_count():
    UserFactory.create_batch(4)
    UserCount.objects.all().delete()

    assert user_total() == User.objects.count() == 4
    assert stored_total() == 4


def test_filtered_lists_are_counted_not_read_from_the_counter(django_assert_num_queries):
    UserFactory.create_batch(3)
    UserFactory(email="special@example.com")
    with django_assert_num_queries(1):
        assert user_count(User.objects.all()) == 4
    with django_assert_num_queries(1):
        assert user_count(User.objects.filter(email__startswith="special")) == 1


def test_unfiltered_list_total_comes_from_the_counter(admin_client_api):
    UserFactory.create_batch(3)
    UserCount.objects.filter(pk=1).update(total=1000)  # the page says what the counter says

    body = admin_client_api.get("/users/?limit=2").json()

    assert body["total"] == 1000
    assert any(link["rel"] == "next" for link in body["links"])


def test_deep_pages_keep_a_stable_order_when_created_at_ties(admin_client_api, admin_user):
    same_moment = timezone.now() - timedelta(days=1)
    UserFactory.create_batch(25)
    User.objects.exclude(pk=admin_user.pk).update(created_at=same_moment)
    expected = list(User.objects.order_by("created_at", "id").values_list("email", flat=True))

    seen = []
    for skip in range(0, 30, 7):
        seen += [item["email"] for item in admin_client_api.get(f"/users/?skip={skip}&limit=7").json()["items"]]

    assert seen == expected


def test_page_past_the_end_is_empty(admin_client_api):
    body = admin_client_api.get("/users/?skip=500&limit=10").json()
    assert body["items"] == [] and body["size"] == 0


@pytest.mark.parametrize("skip", [MAX_SKIP + 1, 2**63, 2**64 + 5, 10**30])
def test_skip_beyond_the_bound_is_a_400_naming_skip(admin_client_api, skip):
    response = admin_client_api.get(f"/users/?skip={skip}")

    assert response.status_code == 400
    assert "skip" in response.json()


def test_huge_limit_is_capped_not_refused(admin_client_api):
    response = admin_client_api.get(f"/users/?limit={10**30}")

    assert response.status_code == 200
    assert response.json()["size"] <= 100


def test_list_is_three_queries_at_any_depth(admin_client_api, django_assert_num_queries):
    UserFactory.create_batch(30)
    for query in ("?skip=0&limit=5", "?skip=25&limit=100"):
        # the token's user, the total, the page (ids and rows in one statement)
        with django_assert_num_queries(3):
            assert admin_client_api.get(f"/users/{query}").status_code == 200


@pytest.mark.parametrize("limit", [1, 3, 7, 10])
def test_pages_read_from_either_end_give_the_same_rows(admin_client_api, admin_user, limit):
    UserFactory.create_batch(20)
    expected = list(User.objects.order_by("created_at", "id").values_list("email", flat=True))

    for skip in range(0, len(expected) + 2):
        items = admin_client_api.get(f"/users/?skip={skip}&limit={limit}").json()["items"]
        assert [item["email"] for item in items] == expected[skip : skip + limit], (skip, limit)


def test_a_page_in_the_second_half_walks_the_index_backwards(admin_client_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    UserFactory.create_batch(20)
    with CaptureQueriesContext(connection) as first_half:
        admin_client_api.get("/users/?skip=2&limit=5")
    with CaptureQueriesContext(connection) as second_half:
        admin_client_api.get("/users/?skip=15&limit=5")

    assert "DESC" not in first_half.captured_queries[-1]["sql"]
    assert "DESC" in second_half.captured_queries[-1]["sql"]


def test_an_unfiltered_page_builds_no_filterset(admin_client_api, monkeypatch):
    from users.filters import UserFilter

    built = []
    original = UserFilter.__init__

    def counting(self, *args, **kwargs):
        built.append(kwargs.get("data"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(UserFilter, "__init__", counting)

    assert admin_client_api.get("/users/?skip=0&limit=5&unknown=1").status_code == 200
    assert built == []
    assert admin_client_api.get("/users/?role=ADMIN").status_code == 200
    assert len(built) == 1
