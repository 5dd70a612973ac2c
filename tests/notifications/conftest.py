import pytest

from notifications.registry import EMAIL, IN_APP, Kind, register, unregister

PLAIN = "tests.event_changed"
URGENT = "tests.security"
IN_APP_ONLY = "tests.badge"
WITH_FILE = "tests.ticket"


def _ticket(email):
    return [("ticket.ics", f"BEGIN:VCALENDAR\nX-WHO:{email.user.pk}\nEND:VCALENDAR\n".encode(), "text/calendar")]


KINDS = [
    Kind(
        key=PLAIN,
        label="Event changed",
        title="{{ name }} changed",
        body="It now starts at {{ starts }}.",
        link="/events/{{ event_id }}",
    ),
    Kind(key=URGENT, label="Security notice", mandatory=True, urgent=True, title="Security: {{ what }}"),
    Kind(key=IN_APP_ONLY, label="Badge earned", channels=(IN_APP,), title=lambda context: f"Badge {context['badge']}"),
    Kind(key=WITH_FILE, label="Your ticket", channels=(EMAIL,), urgent=True, attachments=_ticket),
]


@pytest.fixture(autouse=True)
def test_kinds():
    """Throwaway kinds, as an owning app would register them in its ready()."""
    for kind in KINDS:
        register(kind)
    yield {kind.key: kind for kind in KINDS}
    for kind in KINDS:
        unregister(kind.key)
