"""The member pages under load: the event list, an event page and the registration form's
post, as a member logged in with a session cookie (as the pages' log-in leaves it).

Sessions are made by `manage.py shell` in the bench database (Django's `force_login`: the
same session row and cookie `login()` makes), with one CSRF secret for every request (the
token is not tied to the session). The registration post is the htmx one (`HX-Request`:
200 and the panel, not a redirect): each request registers another fresh bench member for
another upcoming event, once, so none is a 409; those members are deleted afterwards (their
seats released by the usual pre-delete hook).
"""

from __future__ import annotations

import json
import secrets

from bench import BenchError, log
from bench.database import MEMBER_EMAIL, manage

# Fresh members x upcoming events: more distinct registrations than a 10 s run sends.
REGISTRANTS = 60
EVENTS_EACH = 100
PREFIX = "bench.portal."

_SESSIONS_SNIPPET = """
import json
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone
from events.models import Event, EventStatus, Registration
from users.models import Role, User

def session(user):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client.cookies["sessionid"].value

request = RequestFactory().get("/")
token = get_token(request)
member = User.objects.get(email={member_email!r})
mine = Registration.objects.filter(user=member, status="CONFIRMED", event__starts_at__gt=timezone.now())
event = Event.objects.filter(pk__in=mine.values("event_id")).order_by("starts_at").first()
upcoming = list(Event.objects.filter(status=EventStatus.APPROVED, pro_only=False, starts_at__gt=timezone.now())
                .order_by("starts_at").values_list("slug", flat=True)[:{events}])
people = [User.objects.create_user(email=f"{prefix}{run}.{{i}}@example.com", password=None, role=Role.AUTHENTICATED,
                                   email_verified=True, nickname=User.objects.unique_nickname())
          for i in range({registrants})]
cookies = [session(person) for person in people]
registrations = [[slug, cookie] for cookie in cookies for slug in upcoming]
print("BENCH_PORTAL", json.dumps({{
    "member": session(member), "event": event.slug, "csrf_cookie": request.META["CSRF_COOKIE"], "csrf_token": token,
    "registrations": registrations}}))
"""

_CLEANUP_SNIPPET = """
from users.models import User
for user in User.objects.filter(email__startswith={prefix!r}):
    user.delete()
print("BENCH_PORTAL_CLEANED")
"""


def collect_static(env: dict[str, str]) -> None:
    """The pages name their stylesheet and scripts through the static files' manifest (DEBUG
    is off): collect them before any server starts."""
    log("collectstatic (the member pages' stylesheet and scripts)")
    manage(["collectstatic", "--noinput", "-v0"], env, capture=True)


def prepare(env: dict[str, str]) -> tuple[dict, str]:
    """Sessions for the bench member and for fresh registrants; returns (the state, their prefix)."""
    run = secrets.token_hex(4)
    snippet = _SESSIONS_SNIPPET.format(
        member_email=MEMBER_EMAIL, prefix=PREFIX, run=run, registrants=REGISTRANTS, events=EVENTS_EACH
    )
    out = manage(["shell", "-c", snippet], env, capture=True)
    for line in out.splitlines():
        if line.startswith("BENCH_PORTAL "):
            state = json.loads(line.split(" ", 1)[1])
            log(f"  portal: {len(state['registrations']):,} registrations ready ({REGISTRANTS} fresh members)")
            return state, f"{PREFIX}{run}."
    raise BenchError(f"could not make the portal's sessions:\n{out}")


def cleanup(env: dict[str, str], prefix: str) -> None:
    manage(["shell", "-c", _CLEANUP_SNIPPET.format(prefix=prefix)], env, capture=True)


def scenarios(state: dict, scenario_class) -> list:
    """The three portal scenarios (`scenario_class`: bench.load.Scenario)."""
    member = {"Cookie": f"sessionid={state['member']}"}
    csrf = f"csrftoken={state['csrf_cookie']}"
    requests = [
        f"/app/events/{slug}/register/\tCookie: sessionid={cookie}; {csrf}" for slug, cookie in state["registrations"]
    ]
    return [
        scenario_class("GET /app/events/ (member, session)", "/app/events/", headers=member),
        scenario_class("GET /app/events/{slug}/ (member, session)", f"/app/events/{state['event']}/", headers=member),
        scenario_class(
            "POST /app/events/{slug}/register/ (htmx, session)",
            "/app/events/",
            method="POST",
            headers={"X-CSRFToken": state["csrf_token"], "HX-Request": "true"},
            requests=requests,
        ),
    ]


# Server time alone (no network, no queue behind other requests): the pages rendered by
# Django's test client in one process, as the member, median of RUNS after a warm-up.
RUNS = 50
_TIMINGS_SNIPPET = """
import json, statistics, time
from django.test import Client
from django.utils import timezone
from events.models import Registration
from users.models import User

member = User.objects.get(email={member_email!r})
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(member)
seat = (Registration.objects.filter(user=member, status="CONFIRMED", event__starts_at__gt=timezone.now())
        .select_related("event").order_by("event__starts_at").first())
out = {{}}
for name, url in (("list", "/app/events/"), ("event", f"/app/events/{{seat.event.slug}}/")):
    for _ in range(10):
        assert client.get(url).status_code == 200
    times = []
    for _ in range({runs}):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    out[name] = [statistics.median(times), min(times)]
print("BENCH_PORTAL_TIMINGS", json.dumps(out))
"""


def timings(env: dict[str, str]) -> dict[str, list[float]]:
    """{"list": [median ms, min ms], "event": [...]}: server time of the two reads."""
    out = manage(["shell", "-c", _TIMINGS_SNIPPET.format(member_email=MEMBER_EMAIL, runs=RUNS)], env, capture=True)
    for line in out.splitlines():
        if line.startswith("BENCH_PORTAL_TIMINGS "):
            return json.loads(line.split(" ", 1)[1])
    raise BenchError(f"could not time the member pages:\n{out}")


def describe(found: dict[str, list[float]]) -> str:
    return (
        f"GET /app/events/ {found['list'][0]:.1f} ms (min {found['list'][1]:.1f}); "
        f"GET /app/events/{{slug}}/ {found['event'][0]:.1f} ms (min {found['event'][1]:.1f}); "
        f"median of {RUNS} after 10, as the bench member with a session, through Django's test client"
    )
