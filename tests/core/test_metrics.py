"""Prometheus metrics: the /metrics endpoint, what a request counts, the getters, and
values summed across processes (multiprocess mode)."""

import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.db import DatabaseError
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core import metrics
from event_manager import celery as celery_module
from event_manager.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-test-token-0123456789"


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def scrape(client, metrics_token):
    def scrape():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")
        assert response.status_code == 200
        return response.content.decode()

    return scrape


@pytest.fixture
def collectors():
    """Scrape-time collectors registered by a test are forgotten after it."""
    saved = list(metrics._collectors)
    yield
    metrics._collectors[:] = saved


# --- The endpoint -------------------------------------------------------------------


def test_unset_token_means_no_endpoint(client, settings, db):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_without_the_token_401(client, metrics_token, db, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"event_manager" not in response.content


def test_with_the_token_the_text_format(client, metrics_token, db):
    response = client.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    assert "# TYPE event_manager_http_requests_total counter" in response.content.decode()


def test_only_reads(client, metrics_token, db):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_not_in_the_api_schema(client, db):
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


# --- What a request counts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "template"),
    [
        (r"^users/(?P<pk>[^/.]+)/?$", "/users/{pk}"),
        (r"^events/(?P<pk>[^/.]+)\.ics/?$", "/events/{pk}.ics"),
        (r"^notifications/(?P<pk>[0-9]{1,18})/read/?$", "/notifications/{pk}/read"),
        ("reset/<uidb64>/<token>/", "/reset/{uidb64}/{token}/"),
        ("admin/users/user/<path:object_id>/change/", "/admin/users/user/{object_id}/change/"),
        ("", "/"),
        (r"^health/?$", "/health"),
    ],
)
def test_route_template(route, template):
    assert metrics.route_template(route) == template


def test_a_request_is_counted_by_route_template_method_and_status(api_client, db, scrape):
    before = value("event_manager_http_requests_total", route="/users/{pk}", method="GET", status="401")
    api_client.get("/users/3f8e2b8a-0000-4000-8000-000000000001")
    api_client.get("/users/42")
    text = scrape()
    assert value("event_manager_http_requests_total", route="/users/{pk}", method="GET", status="401") == before + 2
    assert "3f8e2b8a" not in text
    assert 'event_manager_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/users/{pk}"}' in text


def test_no_raw_path_for_what_no_route_matches(api_client, db, scrape):
    before = value("event_manager_http_requests_total", route="unmatched", method="GET", status="404")
    api_client.get("/no-such-page/12345")
    assert value("event_manager_http_requests_total", route="unmatched", method="GET", status="404") == before + 1
    assert "12345" not in scrape()


def test_unknown_methods_share_one_label(client, db):
    before = value("event_manager_http_requests_total", route="/health", method="other", status="405")
    client.generic("BREW", "/health")
    assert value("event_manager_http_requests_total", route="/health", method="other", status="405") == before + 1


def test_database_queries_per_request(admin_client_api, admin_user):
    before_sum = value("event_manager_http_request_db_queries_sum", route="/users/{pk}")
    before_count = value("event_manager_http_request_db_queries_count", route="/users/{pk}")
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        assert admin_client_api.get(f"/users/{admin_user.pk}").status_code == 200
    assert value("event_manager_http_request_db_queries_count", route="/users/{pk}") == before_count + 1
    assert value("event_manager_http_request_db_queries_sum", route="/users/{pk}") - before_sum == len(captured) > 0


def test_metrics_enabled_off_counts_no_request_and_no_query(settings, db):
    """METRICS_ENABLED=false (read when the middleware is built: a new client's handler)."""
    settings.METRICS_ENABLED = False
    requests = ("event_manager_http_requests_total", {"route": "/health", "method": "GET", "status": "200"})
    queries = ("event_manager_http_request_db_queries_count", {"route": "/health"})
    before = value(requests[0], **requests[1]), value(queries[0], **queries[1])
    response = Client().get("/health")
    assert response.status_code == 200
    assert response["X-Request-ID"]
    assert (value(requests[0], **requests[1]), value(queries[0], **queries[1])) == before
    assert metrics.queries_var.get() is None


def test_throttle_refusals_are_counted(api_client, db, settings):
    settings.AUTH_THROTTLE_RATE = "1/min"
    before = value("event_manager_throttle_refusals_total", scope="auth")
    form = {"username": "nobody@example.com", "password": "Wrong!pass1"}
    statuses = [api_client.post("/login/", form).status_code for _ in range(3)]
    assert statuses[1:] == [429, 429]
    assert value("event_manager_throttle_refusals_total", scope="auth") == before + 2


# --- The API other apps use -----------------------------------------------------------


def test_getters_return_the_same_metric():
    first = metrics.counter("event_manager_test_things_total", "Things.", ["outcome"])
    assert metrics.counter("event_manager_test_things_total", "Things.", ["outcome"]) is first


def test_getters_refuse_a_name_of_another_kind_or_labels():
    metrics.counter("event_manager_test_other_total", "Other.", ["outcome"])
    with pytest.raises(ValueError, match="already exists"):
        metrics.histogram("event_manager_test_other_total", "Other.", ["outcome"])
    with pytest.raises(ValueError, match="already exists"):
        metrics.counter("event_manager_test_other_total", "Other.", ["kind"])


def test_scrape_gauges_are_read_at_each_scrape(db, scrape, collectors):
    pending = iter([3, 5])
    metrics.scrape_gauge("event_manager_test_pending", "Pending.", lambda: next(pending))
    metrics.scrape_gauge(
        "event_manager_test_by_status", "By status.", lambda: {"pending": 2, ("failed",): 1}, labelnames=["status"]
    )
    assert "event_manager_test_pending 3.0" in scrape()
    text = scrape()
    assert "event_manager_test_pending 5.0" in text
    assert 'event_manager_test_by_status{status="pending"} 2.0' in text
    assert 'event_manager_test_by_status{status="failed"} 1.0' in text


def test_a_scrape_gauge_whose_query_fails_is_left_out(db, scrape, collectors, caplog):
    def broken():
        raise DatabaseError("relation does not exist")

    metrics.scrape_gauge("event_manager_test_broken", "Broken.", broken)
    text = scrape()
    assert "event_manager_test_broken " not in text
    assert "event_manager_http_requests_total" in text
    assert "Metric event_manager_test_broken could not be read" in caplog.text


# --- Celery tasks ------------------------------------------------------------------------


@celery_app.task(name="tests.core.succeeds")
def succeeds():
    return "ok"


@celery_app.task(name="tests.core.fails")
def fails():
    raise RuntimeError("boom")


def test_task_runs_failures_and_duration(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ok = value("event_manager_tasks_total", task="tests.core.succeeds", state="success")
    failed = value("event_manager_tasks_total", task="tests.core.fails", state="failure")
    timed = value("event_manager_task_duration_seconds_count", task="tests.core.succeeds")
    succeeds.apply()
    fails.apply()
    assert value("event_manager_tasks_total", task="tests.core.succeeds", state="success") == ok + 1
    assert value("event_manager_tasks_total", task="tests.core.fails", state="failure") == failed + 1
    assert value("event_manager_task_duration_seconds_count", task="tests.core.succeeds") == timed + 1


def test_a_periodic_job_success_sets_its_time(monkeypatch):
    schedule = {"tests.ok-job": {"task": "tests.core.succeeds"}, "tests.failing-job": {"task": "tests.core.fails"}}
    monkeypatch.setattr(celery_app.conf, "beat_schedule", schedule)
    succeeds.apply()
    fails.apply()
    assert value("event_manager_periodic_job_last_success_timestamp_seconds", job="tests.ok-job") > 1.7e9
    assert value("event_manager_periodic_job_last_success_timestamp_seconds", job="tests.failing-job") == 0


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_worker_serves_its_metrics_on_its_port(settings):
    port = settings.WORKER_METRICS_PORT = _free_port()
    settings.PROMETHEUS_MULTIPROC_DIR = ""
    celery_module._serve_worker_metrics()
    succeeds.apply()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'event_manager_tasks_total{state="success",task="tests.core.succeeds"}' in text


# --- Several processes ----------------------------------------------------------------------

_INCREMENT = """
from core import metrics
metrics.REQUESTS.labels("/health", "GET", "200").inc({n})
metrics.PERIODIC_LAST_SUCCESS.labels("job").set({n})
"""
_EXPOSE = "import sys; from core import metrics; sys.stdout.write(metrics.exposition().decode())"


def _python(code, directory):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_processes_add_up_in_multiprocess_mode(tmp_path):
    _python(_INCREMENT.format(n=2), tmp_path)
    _python(_INCREMENT.format(n=5), tmp_path)
    text = _python(_EXPOSE, tmp_path)
    assert 'event_manager_http_requests_total{method="GET",route="/health",status="200"} 7.0' in text
    assert 'event_manager_periodic_job_last_success_timestamp_seconds{job="job"} 5.0' in text


def test_clearing_a_multiprocess_dir_keeps_the_living_process(tmp_path):
    for name in ("counter_11.db", "gauge_max_11.db", "counter_12.db", "histogram_121.db"):
        (tmp_path / name).write_bytes(b"")
    metrics.clear_multiprocess_dir(str(tmp_path), keep_pid=12)
    assert sorted(file.name for file in tmp_path.iterdir()) == ["counter_12.db"]


# --- The README's table -----------------------------------------------------------------

_README_ROW = re.compile(r"^\| `(event_manager_\w+)` \| (counter|gauge|histogram) \| (.*?) \|", re.MULTILINE)


def test_the_readme_table_lists_every_metric_with_its_type_and_labels(db):
    """README, Operating it: Metrics: one row per metric the code declares (tests' own aside)."""
    documented = {name: (kind, labels) for name, kind, labels in _README_ROW.findall((ROOT / "README.md").read_text())}
    families = [
        family
        for family in text_string_to_metric_families(metrics.exposition().decode())
        if family.name.startswith("event_manager_")
        and not family.name.startswith("event_manager_test_")
        and not family.name.endswith("_created")  # a counter's creation time, in memory only
    ]
    declared = {}
    for family in families:
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = {label for sample in family.samples for label in sample.labels} - {"le"}
        declared[name] = (family.type, labels)
    assert set(documented) == set(declared)
    for name, (kind, labels) in declared.items():
        assert documented[name][0] == kind, name
        assert set(re.findall(r"`(\w+)`(?: \(|,|$)", documented[name][1])) >= labels, name
