"""The production stack's files: docker-compose.yml, Dockerfile, gunicorn and nginx configs.

No container engine runs in CI, so these read the files and assert the properties the stack
relies on. They need no database.
"""

import re
import runpy
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ["migrate", "static", "web", "worker"]
ONE_SHOT_SERVICES = ["migrate", "static"]


@pytest.fixture(scope="module")
def dockerfile():
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            instructions.append((keyword.upper(), args.strip()))
    return instructions


@pytest.fixture(scope="module")
def nginx_conf():
    return (ROOT / "deploy" / "nginx.conf").read_text()


def environment(service):
    """The service's variables as `docker compose up` sees them with nothing exported."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value)) for key, value in env.items()}


def published_ports(service):
    ports = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports.add(int(port["published"]))
        else:
            # "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER"
            parts = str(port).split("/")[0].split(":")
            ports.add(int(parts[-2] if len(parts) > 1 else parts[0]))
    return ports


def volume_target(service, volume_name):
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source == volume_name:
            return target.rstrip("/")
    return None


def command_text(service):
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


# --- docker-compose.yml ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["postgres", "redis", "mailpit", "migrate", "static", "web", "worker", "nginx"])
def test_service_present(services, name):
    assert name in services


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker"])
def test_long_running_service_has_healthcheck(services, name):
    healthcheck = services[name]["healthcheck"]
    assert not healthcheck.get("disable")
    assert healthcheck["test"]


def test_web_healthcheck_probes_health_endpoint(services):
    assert "/health" in " ".join(services["web"]["healthcheck"]["test"])


@pytest.mark.parametrize(
    ("name", "dependency", "condition"),
    [
        ("migrate", "postgres", "service_healthy"),
        ("web", "migrate", "service_completed_successfully"),
        ("web", "redis", "service_healthy"),
        ("worker", "migrate", "service_completed_successfully"),
        ("worker", "redis", "service_healthy"),
        ("nginx", "web", "service_healthy"),
        ("nginx", "static", "service_completed_successfully"),
    ],
)
def test_startup_order(services, name, dependency, condition):
    assert services[name]["depends_on"][dependency]["condition"] == condition


@pytest.mark.parametrize("name", ONE_SHOT_SERVICES)
def test_one_shot_service_is_not_restarted(services, name):
    """A restart policy would rerun migrate forever after it exits 0."""
    assert services[name]["restart"] == "no"
    assert services[name]["healthcheck"] == {"disable": True}


@pytest.mark.parametrize(("name", "port"), [("nginx", 80), ("mailpit", 8025)])
def test_published_port(services, name, port):
    assert port in published_ports(services[name])


def test_only_nginx_and_mailpit_publish_ports(services):
    """Of the stack `docker compose up` starts; the observability profile's services
    publish on 127.0.0.1 only (tests/deploy/test_observability.py)."""
    publishing = {name for name, service in services.items() if service.get("ports") and not service.get("profiles")}
    assert publishing == {"nginx", "mailpit"}


def test_migrate_runs_migrations(services):
    assert "manage.py migrate --noinput" in command_text(services["migrate"])


def test_worker_runs_celery(services):
    command = command_text(services["worker"])
    assert command.startswith("celery -A event_manager worker")


def test_web_uses_the_image_default_command(services):
    assert "command" not in services["web"]


def test_no_pgadmin(services):
    for name, service in services.items():
        assert "pgadmin" not in name.lower()
        assert "pgadmin" not in service.get("image", "").lower()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_built_from_the_project_image(services, name):
    assert services[name]["build"]["context"] == "."
    assert services[name]["image"] == services["web"]["image"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_database_is_the_postgres_service(services, name):
    url = urlsplit(environment(services[name])["DATABASE_URL"])
    postgres_env = environment(services["postgres"])
    assert url.scheme in {"postgres", "postgresql"}
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.username == postgres_env["POSTGRES_USER"]
    assert url.password == postgres_env["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == postgres_env["POSTGRES_DB"]


@pytest.mark.parametrize("name", APP_SERVICES)
@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("REDIS_URL", "redis://redis:6379/0"),
        ("CELERY_BROKER_URL", "redis://redis:6379/1"),
        ("NUM_PROXIES", "1"),
        ("DEBUG", "false"),
    ],
)
def test_app_service_environment(services, name, variable, expected):
    assert environment(services[name])[variable] == expected


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("EMAIL_URL", "smtp://mailpit:1025"),
        ("ALLOWED_HOSTS", "localhost,127.0.0.1,web"),
        ("SERVER_BASE_URL", "http://localhost"),
        ("HTTPS", "false"),
    ],
)
def test_web_defaults_work_out_of_the_box(services, variable, expected):
    assert environment(services["web"])[variable] == expected


def test_web_has_a_secret_key_by_default(services):
    assert len(environment(services["web"])["SECRET_KEY"]) >= 50


def test_nginx_and_static_share_the_volume_nginx_serves(services, nginx_conf):
    alias = re.search(r"location /static/ \{[^}]*alias (\S+);", nginx_conf).group(1)
    nginx_target = volume_target(services["nginx"], "static")
    assert nginx_target == alias.rstrip("/")
    static_target = volume_target(services["static"], "static")
    assert command_text(services["static"]).endswith(f"/app/staticfiles/. {static_target}/")


def test_nginx_mounts_its_config(services):
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]


# --- Dockerfile -----------------------------------------------------------------------


def test_dockerfile_is_multi_stage(dockerfile):
    stages = [args for keyword, args in dockerfile if keyword == "FROM"]
    assert len(stages) >= 2
    assert any("--from=builder" in args for keyword, args in dockerfile if keyword == "COPY")


def test_dockerfile_runs_as_non_root(dockerfile):
    users = [args for keyword, args in dockerfile if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_has_healthcheck_on_health(dockerfile):
    healthchecks = [args for keyword, args in dockerfile if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/health" in healthchecks[0]


def test_dockerfile_collects_static_with_a_build_only_key(dockerfile):
    runs = [args for keyword, args in dockerfile if keyword == "RUN"]
    assert any("collectstatic --noinput" in args and "SECRET_KEY=" in args for args in runs)
    # The throwaway key must not survive into the image's environment.
    assert not any("SECRET_KEY" in args for keyword, args in dockerfile if keyword in {"ENV", "ARG"})


def test_dockerfile_dev_requirements_behind_build_arg(dockerfile):
    assert ("ARG", "INSTALL_DEV=false") in dockerfile
    assert any("requirements-dev.txt" in args for keyword, args in dockerfile if keyword == "RUN")


def test_dockerfile_default_command_is_gunicorn(dockerfile):
    command = [args for keyword, args in dockerfile if keyword == "CMD"][-1]
    assert command == ('["gunicorn", "-c", "deploy/gunicorn.conf.py", "event_manager.wsgi:application"]')


@pytest.mark.parametrize("entry", [".venv", ".git", ".env", "db.sqlite3", "staticfiles"])
def test_dockerignore_keeps_local_state_out(entry):
    entries = (ROOT / ".dockerignore").read_text().split()
    assert entry in entries


# --- deploy/gunicorn.conf.py ----------------------------------------------------------

GUNICORN_VARIABLES = [
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_WORKER_CLASS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "FORWARDED_ALLOW_IPS",
]


@pytest.fixture
def gunicorn_conf(monkeypatch):
    for variable in GUNICORN_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    # The config sets a default multiprocess directory in the environment: undone afterwards.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")

    def load(**env):
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))

    return load


def test_gunicorn_defaults(gunicorn_conf):
    conf = gunicorn_conf()
    assert conf["bind"] == "0.0.0.0:8000"
    assert conf["worker_class"] == "sync"
    assert conf["threads"] == 1
    assert 1 <= conf["workers"] <= 8
    assert conf["accesslog"] is None  # the app's own access line replaces it (tokens redacted)
    assert conf["graceful_timeout"] <= conf["timeout"]
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0


@pytest.mark.parametrize(
    ("env", "setting", "expected"),
    [
        ({"GUNICORN_WORKERS": "3"}, "workers", 3),
        ({"GUNICORN_ACCESSLOG": "-"}, "accesslog", "-"),
        ({"WEB_CONCURRENCY": "4"}, "workers", 4),
        ({"GUNICORN_WORKERS": "3", "WEB_CONCURRENCY": "4"}, "workers", 3),
        ({"GUNICORN_WORKERS": "", "WEB_CONCURRENCY": "4"}, "workers", 4),
        ({"GUNICORN_THREADS": "4"}, "threads", 4),
        ({"GUNICORN_BIND": "127.0.0.1:9000"}, "bind", "127.0.0.1:9000"),
        (
            {"GUNICORN_WORKER_CLASS": "uvicorn_worker.UvicornWorker"},
            "worker_class",
            "uvicorn_worker.UvicornWorker",
        ),
        ({"GUNICORN_TIMEOUT": "90"}, "timeout", 90),
        ({"FORWARDED_ALLOW_IPS": "*"}, "forwarded_allow_ips", "*"),
    ],
)
def test_gunicorn_reads_environment(gunicorn_conf, env, setting, expected):
    assert gunicorn_conf(**env)[setting] == expected


def test_gunicorn_asgi_worker_class_is_importable():
    from gunicorn.workers.base import Worker
    from uvicorn_worker import UvicornWorker

    assert issubclass(UvicornWorker, Worker)


# --- deploy/nginx.conf ----------------------------------------------------------------


def test_nginx_proxies_to_web(nginx_conf):
    assert re.search(r"set \$upstream http://web:8000;", nginx_conf)
    assert "proxy_pass $upstream;" in nginx_conf


@pytest.mark.parametrize(
    "header",
    [
        "Host $http_host",
        "X-Forwarded-For $proxy_add_x_forwarded_for",
        "X-Forwarded-Proto $scheme",
        "X-Forwarded-Host $http_host",
    ],
)
def test_nginx_forwards_header(nginx_conf, header):
    assert f"proxy_set_header {header};" in nginx_conf


def test_nginx_serves_static(nginx_conf):
    assert re.search(r"location /static/ \{[^}]*alias /srv/static/;", nginx_conf)


def test_nginx_listens_on_80(nginx_conf):
    assert re.search(r"listen 80\b", nginx_conf)
