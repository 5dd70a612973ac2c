"""Registration and updates ask the database about each uniqueness rule once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from users.services import user_register, user_update

pytestmark = pytest.mark.django_db


def _lookups(queries, column):
    """SELECTs on the user table that filter on `column` (a uniqueness check)."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and '"users_user"' in q["sql"]
        and "WHERE" in q["sql"]
        and f'"{column}"' in q["sql"].split("WHERE", 1)[1]
    ]


@pytest.mark.parametrize("nickname", [None, "chosen_nick"])
def test_register_checks_email_and_nickname_once_each(nickname):
    profile = {"nickname": nickname} if nickname else {}
    with CaptureQueriesContext(connection) as queries:
        user_register(email="new.member@example.com", password="Secure*1234", **profile)

    assert len(_lookups(queries, "email")) == 1, _lookups(queries, "email")
    assert len(_lookups(queries, "nickname")) == 1, _lookups(queries, "nickname")
    assert not [q for q in queries if "_check" in q["sql"]]  # no constraint re-checked by a query


def test_update_checks_email_and_nickname_once_each(admin_user):
    member = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        user_update(actor=admin_user, user=member, data={"email": "moved@example.com", "nickname": "moved_nick"})

    assert len(_lookups(queries, "email")) == 1
    assert len(_lookups(queries, "nickname")) == 1


def test_a_lost_race_on_the_email_is_still_the_contract_400():
    from django.core.exceptions import ValidationError

    from users.models import User
    from users.services.validation import _save

    UserFactory(email="taken@example.com")
    twin = User(email="TAKEN@example.com", nickname="twin_nick")
    twin.set_password("Secure*1234")

    with pytest.raises(ValidationError) as caught:
        _save(twin, force_insert=True)  # validation skipped, as if another request won the race

    assert "Email already exists." in caught.value.message_dict["email"]
