"""The cost of the metrics instrumentation per request (issue 17: goal under 0.1 ms).

Measured in one `manage.py shell` process against the bench database, through Django's
WSGIHandler with the whole middleware stack (what a gunicorn sync worker runs, minus the
HTTP parsing), for two cheap reads: GET /health and GET /users/{id} with the bench ADMIN's
token. Two handlers are built in the same process, one with METRICS_ENABLED on and one
with it off (no request metrics, no query counter on the connection), and they take turns
request by request (on, off, off, on, ...), each request timed by the CPU time of the
serving thread (`time.thread_time`). Each pair's difference (on - off) is one sample; the
report gives their median with a 95% confidence interval (distribution-free, from order
statistics) and their interquartile range. CPU time, pairing neighbours in time and
medians keep the number honest on a busy machine, where wall time would mostly measure
the neighbours.

Beside it: the instrumentation's own code timed alone (`observe_request` and the query
counter, best of 5 runs), the floor the A/B difference should come close to. Both
variants run: "multiprocess" (files in PROMETHEUS_MULTIPROC_DIR, as under gunicorn) and
"in memory" (one process, as `make run`).
"""

from __future__ import annotations

import json
import tempfile

from bench import BenchError, log
from bench.database import ADMIN_EMAIL, ADMIN_PASSWORD, manage
from bench.report import InstrumentationRun

VARIANTS = ("multiprocess", "in memory")

_SNIPPET = """
import gc, json, time
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client, RequestFactory, override_settings
from django.test.client import FakePayload
from django.urls import resolve
from core import metrics
from users.models import User

connection_created.disconnect(dispatch_uid="core.metrics.query_counter")
login = Client(HTTP_HOST="127.0.0.1").post("/login/", {{"username": {email!r}, "password": {password!r}}})
assert login.status_code == 200, login.content
token = login.json()["access_token"]
admin = User.objects.get(email={email!r})
on = WSGIHandler()
with override_settings(METRICS_ENABLED=False):
    off = WSGIHandler()
assert on._middleware_chain is not off._middleware_chain
factory = RequestFactory(HTTP_HOST="127.0.0.1")
endpoints = {{
    "GET /health": factory.get("/health").environ,
    "GET /users/{{id}}": factory.get(f"/users/{{admin.pk}}", HTTP_AUTHORIZATION=f"Bearer {{token}}").environ,
}}

def start_response(status, headers, exc_info=None):
    return None

def serve(handler, environ):
    response = handler(dict(environ, **{{"wsgi.input": FakePayload(b"")}}), start_response)
    body = b"".join(response)
    response.close()
    return response.status_code, body

def meter(enabled):
    wrappers = connection.execute_wrappers
    if enabled and metrics.count_queries not in wrappers:
        wrappers.insert(0, metrics.count_queries)
    if not enabled and metrics.count_queries in wrappers:
        wrappers.remove(metrics.count_queries)

def timed(handler, enabled, environ):
    meter(enabled)
    started = time.thread_time()
    serve(handler, environ)
    return (time.thread_time() - started) * 1e6

out = {{"endpoints": {{}}}}
for name, environ in endpoints.items():
    for handler, enabled in ((on, True), (off, False)):
        meter(enabled)
        status, body = serve(handler, environ)
        assert status == 200, (name, status, body[:300])
        for _ in range({warmup}):
            serve(handler, environ)
    on_us, off_us, diffs = [], [], []
    for round_ in range({rounds}):
        gc.collect()
        on_sum = off_sum = 0.0
        for i in range({requests}):
            if (round_ + i) % 2:
                b = timed(off, False, environ)
                a = timed(on, True, environ)
            else:
                a = timed(on, True, environ)
                b = timed(off, False, environ)
            on_sum, off_sum = on_sum + a, off_sum + b
            diffs.append(round(a - b, 2))
        on_us.append(on_sum / {requests})
        off_us.append(off_sum / {requests})
    out["endpoints"][name] = {{"on_us": on_us, "off_us": off_us, "diffs_us": diffs}}

# The instrumentation's own code, alone: per request, and per database query.
request = factory.get(f"/users/{{admin.pk}}")
request.resolver_match = resolve(request.path)
def best(fn, loops=20000):
    times = []
    for _ in range(5):
        started = time.thread_time()
        for _ in range(loops):
            fn()
        times.append((time.thread_time() - started) / loops * 1e6)
    return min(times)
observe = best(lambda: metrics.observe_request(request, 200, 0.001, 2))
execute = lambda sql, params, many, context: None
token_ = metrics.queries_var.set([0])
counted = best(lambda: metrics.count_queries(execute, "", None, False, None))
bare = best(lambda: execute("", None, False, None))
metrics.queries_var.reset(token_)
out["alone_us"] = {{"observe_request": observe, "per_query": max(counted - bare, 0.0)}}
print("BENCH_INSTRUMENTATION", json.dumps(out))
"""


def measure(env: dict[str, str], *, rounds: int, requests: int, warmup: int = 50) -> list[InstrumentationRun]:
    """Both variants; the bench ADMIN must exist (`bench.database.prepare_data`)."""
    runs = []
    snippet = _SNIPPET.format(
        email=ADMIN_EMAIL, password=ADMIN_PASSWORD, rounds=rounds, requests=requests, warmup=warmup
    )
    for variant in VARIANTS:
        log(f"Instrumentation cost ({variant}): {rounds} rounds of {requests} requests on and off, per endpoint")
        with tempfile.TemporaryDirectory(prefix="bench-prometheus-") as directory:
            variant_env = {**env, "METRICS_ENABLED": "true", "LOG_LEVEL": "WARNING"}
            variant_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
            if variant == "multiprocess":
                variant_env["PROMETHEUS_MULTIPROC_DIR"] = directory
            out = manage(["shell", "-c", snippet], variant_env, capture=True)
        for line in out.splitlines():
            if line.startswith("BENCH_INSTRUMENTATION "):
                runs.append(InstrumentationRun.from_json(variant, json.loads(line.split(" ", 1)[1])))
                break
        else:
            raise BenchError(f"could not measure the instrumentation:\n{out}")
    return runs
