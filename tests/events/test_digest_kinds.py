"""Which notices may wait for the daily digest, decided per kind from the recipient's side
(README: "Digests per kind")."""

from notifications.registry import kinds

MAY_WAIT = {
    "events.submitted",  # a manager's review queue: a day is fine
    "events.approved",  # the creator learns of the decision
    "events.rejected",
    "events.registration_confirmed",  # the member asked for the seat and saw the answer on screen
    "users.professional_granted",
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
