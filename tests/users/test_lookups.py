"""users.lookups: users by primary key through a statement compiled once (issue 18, item 2),
and GET /users/{id} reading the caller and the target in one query."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from users.lookups import user_by_pk, users_by_pk
from users.models import User
from users.services import session_logout_all


@pytest.mark.django_db
def test_a_user_comes_back_as_the_orm_makes_it():
    made = UserFactory(first_name="Ada", last_name="Lovelace")
    expected = User.objects.defer("password").get(pk=made.pk)

    user = user_by_pk(made.pk)

    fields = [f.attname for f in User._meta.concrete_fields if f.attname != "password"]
    assert {name: getattr(user, name) for name in fields} == {name: getattr(expected, name) for name in fields}
    assert user.get_deferred_fields() == {"password"}
    assert (user._state.adding, user._state.db) == (False, "default")
    user.first_name = "Grace"
    user.save(update_fields=["first_name"])  # a normal instance: it saves
    assert User.objects.get(pk=made.pk).first_name == "Grace"


@pytest.mark.django_db
def test_several_unknown_and_repeated_ids():
    one, two = UserFactory(), UserFactory()
    with CaptureQueriesContext(connection) as queries:
        found = users_by_pk([one.pk, uuid.uuid4(), two.pk, one.pk])
    assert set(found) == {one.pk, two.pk}
    assert len(queries) == 1
    assert user_by_pk(uuid.uuid4()) is None


def test_one_query_for_the_caller_and_the_target(
    admin_client_api, admin_user, verified_user, django_assert_num_queries
):
    with django_assert_num_queries(1):
        body = admin_client_api.get(f"/users/{verified_user.pk}").json()
    assert body["id"] == str(verified_user.pk)
    with django_assert_num_queries(1):
        assert admin_client_api.get(f"/users/{admin_user.pk}").json()["id"] == str(admin_user.pk)


@pytest.mark.parametrize(
    "pk, detail",
    [(uuid.UUID(int=7), "No User matches the given query."), ("not-a-uuid", "Not found.")],
    ids=["unknown", "not-a-uuid"],
)
def test_an_id_that_is_no_user_is_404(admin_client_api, pk, detail):
    response = admin_client_api.get(f"/users/{pk}")
    assert (response.status_code, response.json()["detail"]) == (404, detail)


def test_a_revoked_token_fails_on_the_next_request(admin_client_api, admin_user, verified_user):
    assert admin_client_api.get(f"/users/{verified_user.pk}").status_code == 200
    session_logout_all(user=admin_user)
    assert admin_client_api.get(f"/users/{verified_user.pk}").status_code == 401


def test_a_member_is_refused_before_the_target_is_shown(user_client_api, verified_user):
    other = UserFactory()
    assert user_client_api.get(f"/users/{other.pk}").status_code == 403
