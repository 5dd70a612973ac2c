"""The admin's user list and search, timed in a process of their own against the bench
database (Django's test client, logged in as the bench ADMIN): what a member of staff waits
for at the current number of users."""

from __future__ import annotations

import json
import subprocess
import sys

from bench import ROOT, BenchError, log
from bench.database import ADMIN_EMAIL

SCRIPT = """
import json, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from users.models import User

admin = User.objects.get(email__iexact=sys.argv[1])
client = Client()
client.force_login(admin)
middle = User.objects.order_by("created_at", "id").values_list("email", "last_name")[User.objects.count() // 2]
pages = {
    "list": "/admin/users/user/",
    "list, page 100": "/admin/users/user/?p=100",
    "filtered (locked)": "/admin/users/user/?is_locked__exact=1",
    "search (an email)": "/admin/users/user/?q=" + middle[0].split("@")[0],
    "search (a last name)": "/admin/users/user/?q=" + (middle[1] or "smith"),
}
out = {}
for label, path in pages.items():
    assert client.get(path).status_code == 200, path
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    out[label] = {"path": path, "p50_ms": statistics.median(times), "max_ms": max(times), "queries": len(queries)}
print(json.dumps(out))
"""


def admin_timings(env: dict[str, str]) -> dict[str, dict]:
    log("Timing the admin's user list and search (in-process, 5 runs each)")
    env = {**env, "ALLOWED_HOSTS": "testserver,127.0.0.1", "DJANGO_SETTINGS_MODULE": "event_manager.settings"}
    # With DEBUG off the admin's pages need the static files manifest, as under `make serve`.
    # S603 is safe here: this interpreter and fixed arguments, no shell.
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    # S603 is safe here: this interpreter and a fixed script, no shell.
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT, ADMIN_EMAIL], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise BenchError(f"admin timing failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def describe(timings: dict[str, dict]) -> str:
    return "; ".join(
        f"{label} `{t['path']}` p50 {t['p50_ms']:.0f} ms (max {t['max_ms']:.0f}, {t['queries']} queries)"
        for label, t in timings.items()
    )
