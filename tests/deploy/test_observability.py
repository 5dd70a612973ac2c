"""The observability files: deploy/prometheus.yml, deploy/grafana/ (provisioning and the
dashboard), their services in docker-compose.yml (profile `observability`), gunicorn's
multiprocess hooks, and nginx keeping /metrics inside. No container runs: the files are
read, and every metric the dashboard queries must be declared in the code."""

import json
import os
import re
import runpy
from pathlib import Path

import pytest
import yaml

from .test_compose import environment, published_ports

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROFILE = "observability"
APPS = ("core", "users", "events", "notifications", "audit", "event_manager")

# Metrics the dashboard shows that the apps above do not report yet: each is declared
# where it is counted (core.metrics getters), then removed from here (README, "Operating it").
AWAITING_WIRING: dict[str, str] = {}


@pytest.fixture(scope="module")
def prometheus():
    return yaml.safe_load((DEPLOY / "prometheus.yml").read_text())


@pytest.fixture(scope="module")
def dashboard():
    return json.loads((DEPLOY / "grafana" / "dashboards" / "event-manager.json").read_text())


def job(prometheus, name):
    [found] = [job for job in prometheus["scrape_configs"] if job["job_name"] == name]
    return found


def mounts(service) -> dict[str, str]:
    """Container path -> host path (relative to the repository) of its bind mounts."""
    result = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            result[target] = source[2:]
    return result


def expressions(dashboard):
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


DECLARATION = re.compile(r"\b(?:counter|histogram|gauge|scrape_gauge)\(\s*[\"'](event_manager_[a-z0-9_]+)[\"']")


def declared_metric_names() -> set[str]:
    """Every metric the apps' code declares with core.metrics' getters."""
    names = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names.update(DECLARATION.findall(path.read_text()))
    return names


# --- Compose ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["prometheus", "grafana"])
def test_observability_services_only_with_the_profile(services, name):
    assert services[name]["profiles"] == [PROFILE]


def test_default_stack_is_unchanged_by_the_profile(services):
    assert {name for name, service in services.items() if service.get("profiles")} == {"prometheus", "grafana"}


@pytest.mark.parametrize("name", ["prometheus", "grafana"])
def test_observability_ports_are_local_only(services, name):
    assert services[name]["ports"]
    assert all(str(port).startswith("127.0.0.1:") for port in services[name]["ports"])
    assert published_ports(services[name])


@pytest.mark.parametrize("name", ["prometheus", "grafana"])
def test_mounted_files_exist(services, name):
    for host_path in mounts(services[name]).values():
        assert (ROOT / host_path).exists(), host_path


def test_prometheus_gets_its_config(services):
    assert mounts(services["prometheus"])["/etc/prometheus/prometheus.yml"] == "deploy/prometheus.yml"


def test_grafana_gets_provisioning_and_dashboards(services):
    volumes = mounts(services["grafana"])
    assert volumes["/etc/grafana/provisioning"] == "deploy/grafana/provisioning"
    assert volumes["/etc/grafana/dashboards"] == "deploy/grafana/dashboards"
    home = environment(services["grafana"])["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / "deploy/grafana/dashboards" / Path(home).name).is_file()


def test_prometheus_presents_the_token_web_expects(services, prometheus):
    web_token = environment(services["web"])["METRICS_TOKEN"]
    assert len(web_token) >= 20
    assert environment(services["prometheus"])["METRICS_TOKEN"] == web_token
    credentials_file = job(prometheus, "web")["authorization"]["credentials_file"]
    command = " ".join(services["prometheus"]["command"])
    assert f'printf %s "$$METRICS_TOKEN" > {credentials_file}' in command
    assert "exec /bin/prometheus --config.file=/etc/prometheus/prometheus.yml" in command


# --- prometheus.yml -------------------------------------------------------------------------


def test_prometheus_scrapes_web_with_a_bearer_token(prometheus, services):
    web = job(prometheus, "web")
    assert web["metrics_path"] == "/metrics"
    assert web["authorization"]["type"] == "Bearer"
    [target] = web["static_configs"][0]["targets"]
    host, port = target.split(":")
    assert host in environment(services["web"])["ALLOWED_HOSTS"].split(",")
    assert port == "8000"  # deploy/gunicorn.conf.py's default bind


def test_prometheus_scrapes_the_worker_on_its_metrics_port(prometheus, services):
    worker = job(prometheus, "worker")
    [discovery] = worker["dns_sd_configs"]
    assert discovery["names"] == ["worker"]
    worker_env = environment(services["worker"])
    assert str(discovery["port"]) == worker_env["WORKER_METRICS_PORT"]
    assert worker_env["WORKER_METRICS_ADDR"] == "0.0.0.0"
    assert worker_env["PROMETHEUS_MULTIPROC_DIR"]


# --- Grafana ----------------------------------------------------------------------------------


def test_grafana_datasource_is_the_compose_prometheus(dashboard):
    provisioning = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    [source] = provisioning["datasources"]
    assert source["url"] == "http://prometheus:9090"
    uids = {panel["datasource"]["uid"] for panel in dashboard["panels"]}
    uids |= {target["datasource"]["uid"] for panel in dashboard["panels"] for target in panel["targets"]}
    assert uids == {source["uid"]}


def test_grafana_loads_dashboards_from_the_mounted_folder():
    provisioning = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/event-manager.yml").read_text())
    [provider] = provisioning["providers"]
    assert provider["options"]["path"] == "/etc/grafana/dashboards"


def test_dashboard_panels_are_unique_and_laid_out(dashboard):
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"], panel["title"]


@pytest.mark.parametrize(
    "needle",
    [
        "event_manager_http_requests_total",
        "histogram_quantile(0.5, sum by (le, route) (rate(event_manager_http_request_duration_seconds_bucket",
        "histogram_quantile(0.95, sum by (le, route) (rate(event_manager_http_request_duration_seconds_bucket",
        "histogram_quantile(0.99, sum by (le, route) (rate(event_manager_http_request_duration_seconds_bucket",
        'status=~"5.."',
        "event_manager_http_request_db_queries_sum",
        'event_manager_tasks_total{state="failure"}',
        "event_manager_throttle_refusals_total",
        "event_manager_outbox_emails",
        "event_manager_outbox_oldest_pending_age_seconds",
        "event_manager_logins_total",
        "event_manager_periodic_job_last_success_timestamp_seconds",
    ],
)
def test_dashboard_shows(dashboard, needle):
    assert any(needle in expr for expr in expressions(dashboard))


def test_every_metric_the_dashboard_queries_is_declared_in_the_code(dashboard):
    declared = declared_metric_names() | set(AWAITING_WIRING)
    queried = {name for expr in expressions(dashboard) for name in re.findall(r"event_manager_[a-z0-9_]+", expr)}
    base = {re.sub(r"_(bucket|sum|count)$", "", name) for name in queried}
    missing = {name for name in base if name not in declared and f"{name}_total" not in declared}
    assert not missing, f"the dashboard queries metrics no code declares: {sorted(missing)}"


def test_metrics_awaiting_wiring_are_not_declared_yet():
    """Once an app declares one, its entry above goes (the dashboard check then covers it)."""
    wired = set(AWAITING_WIRING) & declared_metric_names()
    assert not wired, f"declared now: remove {sorted(wired)} from AWAITING_WIRING"


# --- gunicorn and nginx -------------------------------------------------------------------------


@pytest.fixture
def gunicorn_hooks(monkeypatch, tmp_path):
    """deploy/gunicorn.conf.py loaded with a fresh PROMETHEUS_MULTIPROC_DIR default (undone after)."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_gives_its_workers_a_multiprocess_dir(gunicorn_hooks, tmp_path):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert directory.parent == tmp_path
    gunicorn_hooks["on_starting"](None)
    (directory / "counter_123.db").write_bytes(b"")
    (directory / "keep.txt").write_text("not ours")
    gunicorn_hooks["on_starting"](None)
    assert [file.name for file in directory.iterdir()] == ["keep.txt"]
    gunicorn_hooks["on_exit"](None)
    assert not directory.exists()


def test_gunicorn_keeps_a_configured_multiprocess_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    hooks = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    hooks["on_starting"](None)
    hooks["on_exit"](None)
    assert tmp_path.is_dir()


def test_gunicorn_forgets_a_dead_workers_live_gauges(gunicorn_hooks, monkeypatch):
    dead = []
    monkeypatch.setattr("prometheus_client.multiprocess.mark_process_dead", dead.append)
    gunicorn_hooks["child_exit"](None, type("Worker", (), {"pid": 4242})())
    assert dead == [4242]


def test_nginx_does_not_serve_metrics():
    conf = (DEPLOY / "nginx.conf").read_text()
    block = re.search(r"location ~ \^/metrics/\?\$ \{\s*return 404;\s*\}", conf)
    assert block, "nginx must answer /metrics itself (404), not proxy it"
    assert conf.index(block.group(0)) < conf.index("location / {")
