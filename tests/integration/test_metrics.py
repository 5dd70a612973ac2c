"""Metrics on real processes: gunicorn with two workers and a prefork Celery worker with
two pool processes, each in multiprocess mode. A known sequence of requests (and tasks)
goes through both; the scraped counters add up to it exactly."""

import json
import secrets
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .support import ROOT, Process, app_env, free_port, start_server, wait_worker_ready

pytestmark = pytest.mark.integration

TOKEN = f"metrics-{secrets.token_hex(16)}"
WORKERS = 2  # tests/integration/support.py starts gunicorn with two workers


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped, name, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def pids(directory: Path, prefix: str) -> set[str]:
    return {file.stem.rsplit("_", 1)[1] for file in directory.glob(f"{prefix}_*.db")}


@pytest.fixture(scope="module")
def metered(services, database_url, redis_databases, log_dir, tmp_path_factory):
    """A WSGI instance (two workers) with metrics on, throttling logins at 3 a minute in
    a Redis database of its own (no other test's logins spend that budget)."""
    directory = tmp_path_factory.mktemp("prometheus-web")
    cache = redis_databases.claim()
    env = app_env(
        DATABASE_URL=database_url,
        REDIS_URL=cache,
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        AUTH_THROTTLE_RATE="3/min",
    )
    server = start_server("wsgi", env, log_dir, label="-metrics")
    try:
        server.wait_healthy()
        yield server, directory
    finally:
        server.process.stop()
        redis_databases.release(cache)


def scrape(server) -> dict:
    response = server.request("GET", "/metrics", token=TOKEN)
    assert response.status == 200, response
    return samples(response.body.decode())


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_closed_without_the_token(metered, token):
    server, _ = metered
    response = server.request("GET", "/metrics", token=token)
    assert response.status == 401
    assert b"event_manager_" not in response.body


def test_counters_add_up_across_workers(metered):
    server, directory = metered
    before = scrape(server)
    sequence = (
        [("GET", "/health", None)] * 30
        + [("GET", f"/users/{uuid.uuid4()}", None)] * 20
        + [("GET", f"/no-such-page/{n}", None) for n in range(10)]
        + [("POST", "/login/", {"username": "nobody@example.com", "password": "Wrong!pass1"})] * 5
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda step: server.request(step[0], step[1], form=step[2]).status, sequence))
    assert Counter(statuses)[429] == 2
    after = scrape(server)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "event_manager_http_requests_total"
    assert delta(requests, route="/health", method="GET", status="200") == 30
    assert delta(requests, route="/users/{pk}", method="GET", status="401") == 20
    assert delta(requests, route="unmatched", method="GET", status="404") == 10
    assert delta(requests, route="/login", method="POST", status="429") == 2
    assert sum(delta(requests, route="/login", method="POST", status=s) for s in ("400", "401", "403")) == 3
    assert delta("event_manager_throttle_refusals_total", scope="auth") == 2
    for route, count in (("/health", 30), ("/users/{pk}", 20), ("unmatched", 10)):
        assert delta("event_manager_http_request_duration_seconds_count", route=route, method="GET") == count
        assert delta("event_manager_http_request_db_queries_count", route=route) == count
    assert delta("event_manager_http_request_db_queries_sum", route="/health") >= 30
    assert not any("no-such-page" in str(labels) for _, labels in after)
    assert len(pids(directory, "counter")) == WORKERS, "both workers should have served (and been summed)"


# --- The worker -------------------------------------------------------------------------


def send(env, task: str, args: list, kwargs: dict | None = None) -> None:
    command = [sys.executable, "-m", "celery", "-A", "event_manager", "call", task, "--args", json.dumps(args)]
    command += ["--kwargs", json.dumps(kwargs or {})]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)


def test_worker_counts_tasks_across_its_pool(services, database_url, redis_databases, log_dir, tmp_path):
    port, broker = free_port(), redis_databases.claim()
    env = app_env(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker,
        WORKER_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    args = [sys.executable, "-m", "celery", "-A", "event_manager", "worker", "-l", "info", "--pool", "prefork"]
    args += ["--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = Process(
        "celery-worker-metrics", [*args, "-n", f"metrics-{secrets.token_hex(3)}@%h"], env, log_dir / "w.log"
    )
    try:
        wait_worker_ready(worker)
        # celery.accumulate is Celery's own: it returns its arguments, or args[index].
        for n in range(6):
            send(env, "celery.accumulate", [n])
        for _ in range(2):
            send(env, "celery.accumulate", [], {"index": 3})
        deadline, scraped = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            scraped = samples(_get(f"http://127.0.0.1:{port}/metrics"))
            done = sum(
                value(scraped, "event_manager_tasks_total", task="celery.accumulate", state=s)
                for s in ("success", "failure")
            )
            if done >= 8:
                break
            time.sleep(0.2)
        assert value(scraped, "event_manager_tasks_total", task="celery.accumulate", state="success") == 6
        assert value(scraped, "event_manager_tasks_total", task="celery.accumulate", state="failure") == 2
        assert value(scraped, "event_manager_task_duration_seconds_count", task="celery.accumulate") == 8
    finally:
        worker.stop()
        redis_databases.release(broker)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()
