"""The published OpenAPI document is a reviewed artefact: docs/openapi.json.

Any change to the API's schema — a path, a status, a field, a description, even a
component's name — fails this test until the snapshot is regenerated on purpose
(`make schema`), so it shows up in review as a diff of docs/openapi.json.
"""

import difflib
from pathlib import Path

from rest_framework.test import APIClient

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def test_served_schema_is_the_committed_snapshot(db):
    response = APIClient().get("/openapi.json")
    assert response.status_code == 200
    served, committed = response.content.decode(), SNAPSHOT.read_text()
    if served != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), served.splitlines(), "docs/openapi.json", "/openapi.json", lineterm="", n=2
        )
        lines = list(diff)
        raise AssertionError(
            "The API schema changed; review the diff and run `make schema` if it is intended:\n"
            + "\n".join(lines[:80])
            + (f"\n... ({len(lines) - 80} more lines)" if len(lines) > 80 else "")
        )


def test_snapshot_is_what_the_schema_command_writes(tmp_path):
    """`make schema` (the spectacular command) and the served document are the same bytes."""
    from django.core.management import call_command

    out = tmp_path / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    assert out.read_text() == SNAPSHOT.read_text()
