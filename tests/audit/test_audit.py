"""audit/: the record service, its request context, append-only rows, the admin, the layer rule."""

import ast
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

import audit
from audit.models import AuditEvent
from audit.services import audit_record
from core.context import client_ip
from core.middleware import RequestContextMiddleware

pytestmark = pytest.mark.django_db


def test_audit_record_writes_actor_target_changes_and_note(admin_user, verified_user):
    event = audit_record(
        actor=admin_user,
        action="user.role_changed",
        target=verified_user,
        changes={"role": ["AUTHENTICATED", "MANAGER"], "id": [None, uuid.UUID(int=1)]},
        note="promoted",
    )

    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor, event.actor_repr) == (admin_user, admin_user.email)
    assert (event.target_user, event.target_id, event.target_repr) == (
        verified_user,
        str(verified_user.pk),
        verified_user.email,
    )
    assert event.target_type.model_class().__name__ == "User"
    assert event.changes == {"role": ["AUTHENTICATED", "MANAGER"], "id": [None, str(uuid.UUID(int=1))]}
    assert event.note == "promoted"
    assert (event.client_ip, event.request_id) == (None, "")


def test_anonymous_or_missing_actor_is_the_system(verified_user):
    from django.contrib.auth.models import AnonymousUser

    for actor in (None, AnonymousUser()):
        event = audit_record(actor=actor, action="user.password_reset", target=verified_user)
        assert (event.actor_id, event.actor_repr) == (None, "")


def test_rows_survive_their_actor_and_target(admin_user, verified_user):
    event = audit_record(actor=admin_user, action="user.deleted", target=verified_user)
    target_id = str(verified_user.pk)
    verified_user.delete()
    admin_user.delete()

    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_id, event.target_user_id) == (None, None)
    assert (event.actor_repr, event.target_id, event.target_repr) == (
        "admin.user@example.com",
        target_id,
        event.target_repr,
    )


def test_a_rolled_back_change_leaves_no_row(verified_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="user.locked", target=verified_user)
        raise RuntimeError("the change failed")

    assert not AuditEvent.objects.exists()


def test_rows_are_append_only(verified_user):
    event = audit_record(actor=None, action="user.locked", target=verified_user)
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.parametrize(
    ("num_proxies", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "6.6.6.6", "10.0.0.1"),
        (1, "10.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "10.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (0, "not-an-ip", "", None),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, num_proxies, remote, forwarded, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_middleware_gives_the_request_context_to_rows_written_during_the_request(verified_user):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_REQUEST_ID="req-123")

    def view(request):
        audit_record(actor=None, action="user.unlocked", target=verified_user)
        return HttpResponse()

    RequestContextMiddleware(view)(request)
    event = AuditEvent.objects.get()
    assert (event.client_ip, event.request_id) == ("198.51.100.7", "req-123")
    # Outside the request the context is empty again.
    assert audit_record(actor=None, action="user.locked", target=verified_user).client_ip is None


# --- Admin ----------------------------------------------------------------------


def test_admin_lists_and_filters_but_never_adds_changes_or_deletes(admin_site_client, admin_user, verified_user):
    event = audit_record(
        actor=admin_user, action="user.role_changed", target=verified_user, changes={"role": ["A", "B"]}
    )
    audit_record(actor=None, action="user.locked", target=verified_user)

    listing = admin_site_client.get("/admin/audit/auditevent/", {"action": "user.role_changed"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert "role: A → B" in listing.text
    for params in ({"actor__id__exact": str(admin_user.pk)}, {"created_at__gte": "2000-01-01T00:00:00+00:00"}):
        assert admin_site_client.get("/admin/audit/auditevent/", params).status_code == 200

    assert admin_site_client.get("/admin/audit/auditevent/add/").status_code == 403
    detail = admin_site_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert detail.status_code == 200  # view only
    assert 'name="_save"' not in detail.text
    assert admin_site_client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"note": "x"}).status_code == 403
    assert admin_site_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.count() == 2
    assert AuditEvent.objects.get(pk=event.pk).note == ""


def test_managers_cannot_read_the_audit_trail(manager_site_client):
    assert manager_site_client.get("/admin/audit/auditevent/").status_code == 403


# --- Layers ---------------------------------------------------------------------


def test_audit_imports_nothing_from_users_or_events():
    root = Path(audit.__file__).parent
    offending = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offending += [f"{path.name}: {name}" for name in names if name.split(".")[0] in ("users", "events")]
    assert offending == []
