"""Settings for operating the service: logging, metrics, traces, errors, backups
(README, "Operating it"). Read after the rest of the settings, which it builds on."""

from pathlib import Path

from . import BASE_DIR, DEBUG, env

# --- Logging ------------------------------------------------------------------
# One JSON object per line (LOG_FORMAT=text for humans; the default with DEBUG on).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIDFilter"}},
    "formatters": {
        "json": {"()": "core.logging.JSONFormatter"},
        "text": {
            "()": "core.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The access line above covers 4xx; django.request would repeat it with the raw path.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
    },
}

# --- Operations: metrics, traces, errors, backups (README, "Operating it") ---------
# GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise);
# unset, the endpoint does not exist (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Off: requests and their database queries are not counted (the middleware skips them, no
# query counter is put on connections); everything else still is. For `make bench`'s A/B.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
# Processes that share their metrics (gunicorn's workers, a prefork Celery worker) write
# them to files here; it must be in the environment before the process starts
# (deploy/gunicorn.conf.py sets one for gunicorn). Unset: each process counts in memory.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# The Celery worker serves its metrics on this port (0: it does not), on this address
# (compose: 0.0.0.0, for Prometheus in its own container; the port has no token).
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDR = env.str("WORKER_METRICS_ADDR", default="127.0.0.1")
# Where `manage.py backup` (`make backup`) writes when no --output is given.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))
# Error reports to Sentry when SENTRY_DSN is set (scrubbed of secrets and addresses);
# traces by the standard OTEL_* variables (core/observability.py). Both off by default.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)

from core.observability import setup as setup_observability  # noqa: E402 - needs the values above

setup_observability(
    sentry_dsn=SENTRY_DSN,
    sentry_environment=SENTRY_ENVIRONMENT,
    sentry_traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
