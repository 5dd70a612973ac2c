"""The data migration users.0003: stored emails rewritten to their normal form, and the
rows it cannot rewrite reported (never merged, never deleted)."""

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from tests.factories import UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

migration = importlib.import_module("users.migrations.0003_normalize_emails")


def migrate():
    out = StringIO()
    migration.normalize_stored_emails(apps, SimpleNamespace(connection=connection), out=out)
    return out.getvalue()


def test_rewrites_emails_into_their_normal_form_and_reports_problems():
    plain = UserFactory(email="plain@example.com")
    idn = UserFactory(email="jane@B\u00fccher.de")
    invisible = UserFactory(email="a@exam\u200bple.com")
    first = UserFactory(email="bob@xn--bcher-kva.de")
    second = UserFactory(email="bob@b\u00fccher.de")

    report = migrate()

    emails = dict(User.objects.values_list("pk", "email"))
    assert emails[plain.pk] == "plain@example.com"
    assert emails[idn.pk] == "jane@xn--bcher-kva.de"
    assert emails[invisible.pk] == "a@exam\u200bple.com"  # reported, left as it is
    assert (emails[first.pk], emails[second.pk]) == ("bob@xn--bcher-kva.de", "bob@b\u00fccher.de")
    assert User.objects.count() == 5  # nothing merged or deleted
    assert "1 email(s) rewritten" in report
    assert f"NOT NORMALISED, left unchanged: user {invisible.pk}" in report
    assert "COLLISION" in report and str(first.pk) in report and str(second.pk) in report
    assert str(plain.pk) not in report


def test_a_second_run_changes_nothing():
    UserFactory(email="jane@B\u00fccher.de")
    migrate()

    assert migrate() == ""
    assert User.objects.get().email == "jane@xn--bcher-kva.de"


def test_after_the_migration_the_lookalike_account_cannot_log_in_as_the_real_one(api_client):
    from tests.factories import PASSWORD

    real = UserFactory(email="a@example.com")
    UserFactory(email="a@exam\u200bple.com", password=real.password)
    migrate()

    response = api_client.post("/login/", {"username": "a@exam\u200bple.com", "password": PASSWORD})

    assert response.status_code == 401


def test_report_emails_lists_what_the_migration_left_and_fails(capsys):
    from django.core.management import CommandError, call_command

    invisible = UserFactory(email="a@exam\u200bple.com")
    first = UserFactory(email="bob@xn--bcher-kva.de")
    second = UserFactory(email="bob@b\u00fccher.de")
    UserFactory(email="fine@example.com")

    with pytest.raises(CommandError, match="2 problem"):
        call_command("report_emails")
    out = capsys.readouterr().out
    assert f"NOT NORMALISED: user {invisible.pk}" in out
    assert "COLLISION" in out and str(first.pk) in out and str(second.pk) in out
    assert "fine@example.com" not in out


def test_report_emails_is_quiet_when_all_is_well(capsys):
    from django.core.management import call_command

    UserFactory(email="fine@example.com")
    call_command("report_emails")

    assert "Every stored email is in its normal form" in capsys.readouterr().out
