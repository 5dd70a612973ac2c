"""Prometheus metrics: the floor's own, the getters other apps use, and the scrape.

One process (runserver, a solo worker) keeps its values in memory. Several
processes (gunicorn workers, a prefork Celery worker) share them through files
in PROMETHEUS_MULTIPROC_DIR, which must be in the environment before
prometheus_client is first imported (deploy/gunicorn.conf.py sets it for the web
workers; compose sets it for the worker); a scrape then sums every process's files.

Other apps declare their metrics at module level with the getters, which return
the same object when called again with the same name:

    EXPORTS = metrics.counter("event_manager_exports_total", "Exports by format.", ["format"])
    EXPORTS.labels(format="csv").inc()

and report what is only known by asking the database at scrape time with
`scrape_gauge` (or `register_collector` for anything else). Label values must
come from a small fixed set: route templates, task names, outcomes; never ids,
addresses or raw paths.
"""

import contextvars
import functools
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_metrics: dict[str, Counter | Gauge | Histogram] = {}
_collectors: list[Callable[[], Iterable[Metric]]] = []


def multiprocess_dir() -> str:
    return os.environ.get(MULTIPROC_ENV, "")


def _get(kind, name: str, documentation: str, labelnames: Sequence[str], **kwargs):
    existing = _metrics.get(name)
    if existing is None:
        existing = _metrics[name] = kind(name, documentation, labelnames=tuple(labelnames), **kwargs)
    elif type(existing) is not kind or existing._labelnames != tuple(labelnames):
        raise ValueError(f"metric {name} already exists as a {type(existing).__name__}{existing._labelnames}")
    return existing


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    """The counter called `name` (created on first use); name it `..._total`."""
    return _get(Counter, name, documentation, labelnames)


def histogram(name: str, documentation: str, labelnames: Sequence[str] = (), buckets=Histogram.DEFAULT_BUCKETS):
    """The histogram called `name` (created on first use)."""
    return _get(Histogram, name, documentation, labelnames, buckets=buckets)


def gauge(name: str, documentation: str, labelnames: Sequence[str] = (), multiprocess_mode: str = "max") -> Gauge:
    """A gauge set by the processes themselves. Across processes a scrape reports the
    `multiprocess_mode` of their values ("max", "min", "livesum", "mostrecent", ...)."""
    return _get(Gauge, name, documentation, labelnames, multiprocess_mode=multiprocess_mode)


def register_collector(collect: Callable[[], Iterable[Metric]]) -> None:
    """Call `collect()` at every scrape of /metrics and report the metric families it
    yields (prometheus_client.core.GaugeMetricFamily, ...). For counts read from the
    database; it runs in the web process serving the scrape, so keep it to a few
    indexed queries."""
    _collectors.append(collect)


def scrape_gauge(
    name: str,
    documentation: str,
    read: Callable[[], float | Mapping[tuple[str, ...] | str, float]],
    labelnames: Sequence[str] = (),
) -> None:
    """A gauge read at scrape time: `read()` returns a number or, with labels, a mapping
    from label values (a tuple, or a string for one label) to numbers. A read that
    fails with a database error leaves the gauge out of that scrape and logs it."""

    def collect():
        from django.db import DatabaseError

        try:
            values = read()
        except DatabaseError:
            logger.exception("Metric %s could not be read", name)
            return
        family = GaugeMetricFamily(name, documentation, labels=labelnames)
        if labelnames:
            for key, value in values.items():
                family.add_metric((key,) if isinstance(key, str) else key, value)
        else:
            family.add_metric((), values)
        yield family

    register_collector(collect)


class _Registered(Collector):
    def collect(self):
        for collect in _collectors:
            yield from collect()


def _processes_registry() -> CollectorRegistry:
    """This process's metrics, or with a multiprocess directory those of every process."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition() -> bytes:
    """The text format of every metric: all processes' values, and the scrape-time collectors."""
    return generate_latest(_processes_registry()) + generate_latest(_scrape_time_registry())


@functools.cache
def _scrape_time_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Registered())
    return registry


def clear_multiprocess_dir(path: str, keep_pid: int | None = None) -> None:
    """Remove what earlier processes left in a multiprocess directory (every file but
    those of `keep_pid`): called once when a server or worker starts."""
    for file in Path(path).glob("*.db"):
        if keep_pid is None or not file.stem.endswith(f"_{keep_pid}"):
            file.unlink(missing_ok=True)


def mark_process_dead(pid: int) -> None:
    """A worker process ended: its live gauges stop counting (multiprocess mode only)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def start_http_server(port: int, addr: str = "127.0.0.1") -> None:
    """Serve /metrics on its own port (the Celery worker, which has no web server)."""
    from prometheus_client import start_http_server as start

    start(port, addr, registry=_processes_registry())


# --- The floor's own metrics ----------------------------------------------------

REQUESTS = counter(
    "event_manager_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_DURATION = histogram(
    "event_manager_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST_QUERIES = histogram(
    "event_manager_http_request_db_queries",
    "Database queries made while answering one HTTP request, by route template.",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
TASKS = counter("event_manager_tasks_total", "Celery task runs by task and final state.", ["task", "state"])
TASK_DURATION = histogram(
    "event_manager_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
PERIODIC_LAST_SUCCESS = gauge(
    "event_manager_periodic_job_last_success_timestamp_seconds",
    "Unix time of the last successful run of each periodic job.",
    ["job"],
)
THROTTLE_REFUSALS = counter(
    "event_manager_throttle_refusals_total", "Requests refused by a throttle (429), by throttle scope.", ["scope"]
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@functools.lru_cache(maxsize=1024)
def route_template(route: str) -> str:
    """A URL pattern as operators read it: `^users/(?P<pk>[^/.]+)/?$` and
    `users/<int:pk>` both become `/users/{pk}`."""
    template = _CONVERTER.sub(r"{\1}", _NAMED_GROUP.sub(r"{\1}", route))
    template = template.replace("^", "").replace("$", "").replace("/?", "").replace("\\", "")
    return "/" + template.lstrip("/")


def route_of(request) -> str:
    """The route label of a request: its URL pattern, never its path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return route_template(match.route)
    if request.path.startswith(settings.STATIC_URL):
        return settings.STATIC_URL + "*"
    return UNMATCHED


# Queries of the request being served: a one-item list set by the request middleware,
# shared with the threads the request hands database work to (asgiref copies the context).
queries_var: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("db_queries", default=None)


def count_queries(execute, sql, params, many, context):
    """A database execute wrapper, put on every connection once (`install_query_counter`)."""
    box = queries_var.get()
    if box is not None:
        box[0] += 1
    return execute(sql, params, many, context)


def install_query_counter(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: count every query the new connection runs."""
    if count_queries not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, count_queries)


# The labelled series of each (route, method, status) seen, so a request skips `labels()`.
_request_series: dict[tuple[str, str, int], tuple] = {}


def observe_request(request, status: int, duration: float, queries: int) -> None:
    route = route_of(request)
    method = request.method if request.method in METHODS else "other"
    series = _request_series.get((route, method, status))
    if series is None:
        series = _request_series[route, method, status] = (
            REQUESTS.labels(route, method, str(status)),
            REQUEST_DURATION.labels(route, method),
            REQUEST_QUERIES.labels(route),
        )
    series[0].inc()
    series[1].observe(duration)
    series[2].observe(queries)
