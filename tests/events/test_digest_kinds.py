"""Which notices may wait for the daily digest, decided per kind from the recipient's side
(README: "Digests per kind")."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from notifications.preferences import choices_for, preferences_update
from notifications.registry import DAILY, get_kind, kinds
from tests.factories import UserFactory

MAY_WAIT = {
    "events.submitted",  # a manager's review queue: a day is fine
    "events.approved",  # the creator learns of the decision
    "events.rejected",
    "events.registration_confirmed",  # the member asked for the seat and saw the answer on screen
    "users.professional_granted",
    "events.updated",  # an approved event's other edits: daily by default
}
AT_ONCE = {
    "events.reminder",  # a digest could arrive after the event
    "events.cancelled",
    "events.changed",  # time or place
    "events.promoted",  # a seat the member must know about before the event
    "events.waitlisted",
}


def test_the_kinds_that_may_wait_are_digestible_and_the_others_are_not():
    registered = {kind.key: kind for kind in kinds() if kind.key.split(".")[0] in {"events", "users"}}
    assert set(registered) >= MAY_WAIT
    assert set(registered) >= AT_ONCE
    for key in MAY_WAIT:
        assert registered[key].digestible, key
    for key in AT_ONCE:
        assert not registered[key].digestible, key


def test_every_security_notice_goes_at_once():
    security = [kind for kind in kinds() if kind.mandatory and kind.key.startswith(("users.", "mfa."))]
    assert security
    assert all(kind.urgent for kind in security), [kind.key for kind in security if not kind.urgent]


@pytest.mark.django_db
def test_a_member_may_take_the_confirmation_daily_but_not_a_cancellation():
    member = UserFactory()
    preferences_update(user=member, changes=[{"kind": "events.registration_confirmed", "digest": DAILY}])
    confirmed = get_kind("events.registration_confirmed")
    assert choices_for(confirmed, [member.pk])[member.pk].digest == DAILY
    assert choices_for(confirmed, [member.pk])[member.pk].email  # mandatory: still sent, in the digest
    with pytest.raises(ValidationError, match=r"events\.cancelled is sent immediately"):
        preferences_update(user=member, changes=[{"kind": "events.cancelled", "digest": DAILY}])


def test_the_readme_tables_name_every_events_kind_and_its_urgency():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    digests = readme.split("### Digests per kind", 1)[1].split("\n### ", 1)[0]
    registered = readme.split("The kinds registered today", 1)[1].split("\n\n", 2)[1]
    for kind in kinds():
        if not kind.key.startswith("events."):
            continue
        assert f"`{kind.key}`" in digests, kind.key
        row = next(line for line in registered.splitlines() if line.startswith(f"| `{kind.key}` |"))
        assert row.rstrip(" |").split("|")[-1].strip().startswith("yes" if kind.urgent else "no"), row


def test_edits_wait_for_the_digest_by_default():
    assert get_kind("events.updated").default_digest == DAILY
