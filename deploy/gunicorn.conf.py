"""Gunicorn settings, every value overridable from the environment.

Used by the image's default command:
    gunicorn -c deploy/gunicorn.conf.py event_manager.wsgi:application

For ASGI set GUNICORN_WORKER_CLASS=uvicorn_worker.UvicornWorker and point the
command at event_manager.asgi:application instead: its handler keeps one
database connection per worker, so CONN_MAX_AGE works as under WSGI.
"""

import multiprocessing
import os
import shutil
import tempfile


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_workers():
    # 2 * CPUs + 1 is gunicorn's rule of thumb; the cap keeps memory bounded on
    # hosts where the container sees many more CPUs than it may use.
    return min(2 * multiprocessing.cpu_count() + 1, 8)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _env_int("GUNICORN_WORKERS", _env_int("WEB_CONCURRENCY", _default_workers()))
threads = _env_int("GUNICORN_THREADS", 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")

timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Addresses allowed to set X-Forwarded-Proto/-For (the nginx container in compose).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The app logs one JSON line per request (core.middleware) with tokens
# redacted; gunicorn's own access line would print raw paths, so it is opt-in.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# Uvicorn workers (ASGI) log their own access lines, raw paths included; silenced likewise.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"uvicorn.access": {"level": "WARNING", "propagate": False}},
}
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The worker heartbeat file on tmpfs: an overlay filesystem can stall it. Gunicorn
# creates the file with mkstemp, so a shared directory is safe here.
_SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

# Metrics of every worker, summed at each scrape of /metrics (core/metrics.py): each
# worker writes its values to files in PROMETHEUS_MULTIPROC_DIR, which must be set
# before a worker imports prometheus_client. One directory per gunicorn master,
# emptied when it starts (and removed at exit when it was made here); a dead worker's
# live gauges are dropped.
_OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
_METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"event-manager-metrics-{os.getpid()}")
)


def on_starting(server):
    os.makedirs(_METRICS_DIR, exist_ok=True)
    for name in os.listdir(_METRICS_DIR):
        if name.endswith(".db"):
            os.remove(os.path.join(_METRICS_DIR, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(_METRICS_DIR, ignore_errors=True)
