"""Traces (OpenTelemetry) and error reports (Sentry), both off unless configured.

- Traces: on when the standard variables ask for an exporter: OTEL_EXPORTER_OTLP_ENDPOINT
  (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) for OTLP over HTTP, or OTEL_TRACES_EXPORTER
  ("otlp", "console", or both, comma-separated); OTEL_SDK_DISABLED=true wins. The SDK reads
  the rest itself (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
  OTEL_EXPORTER_OTLP_HEADERS, ...). Django requests, psycopg queries and Celery tasks
  (with the context carried from the web request to the worker) become spans; every log
  line gets the trace id (core.logging) and every request span the X-Request-ID.
- Errors: on when SENTRY_DSN is set; events leave with passwords, tokens, cookies,
  Authorization headers and email addresses scrubbed (`scrub_event`).

Off, neither SDK is imported: the cost is reading a few environment variables once.
"""

import os
import re

_SENSITIVE_KEY = re.compile(r"(?i)pass(word|wd)?|secret|token|auth|cookie|session|csrf|api.?key|credential|dsn|email")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_SECRET_IN_TEXT = re.compile(r"(?i)((?:password|token|secret)=)[^&\s\"']+")
FILTERED = "[Filtered]"
_tracing = False


def tracing_requested(environ=os.environ) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def setup(*, sentry_dsn: str = "", sentry_environment: str = "", sentry_traces_sample_rate: float = 0.0) -> None:
    """Called once, at the end of the settings."""
    if tracing_requested():
        _start_tracing()
    if sentry_dsn:
        _start_sentry(sentry_dsn, sentry_environment, sentry_traces_sample_rate)


def _start_tracing() -> None:
    global _tracing
    if _tracing:
        return
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    resource = Resource.create({} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: "event-manager"})
    provider = TracerProvider(resource=resource)
    for name in (os.environ.get("OTEL_TRACES_EXPORTER") or "otlp").lower().split(","):
        if name.strip() == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name.strip() == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    from . import logging as core_logging

    trace.set_tracer_provider(provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    core_logging.trace_id_source = _current_trace_id
    _tracing = True


def instrument_django() -> None:
    """From CoreConfig.ready(), once settings are loaded and before the handler builds
    its middleware: trace every request (nothing when tracing is off)."""
    if not _tracing:
        return
    from opentelemetry.instrumentation.django import DjangoInstrumentor

    DjangoInstrumentor().instrument(response_hook=_finish_request_span)


_URL_ATTRIBUTES = ("http.url", "http.target", "url.full", "url.path", "url.query")


def _finish_request_span(span, request, response) -> None:
    """The request span carries the X-Request-ID the response echoes (core.middleware),
    and its URL loses the tokens some paths and queries hold, as the access log does."""
    if not span.is_recording():
        return
    from .logging import redact

    request_id = getattr(request, "request_id", "")
    if request_id:
        span.set_attribute("http.request_id", request_id)
    attributes = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        if isinstance(attributes.get(name), str):
            span.set_attribute(name, redact(attributes[name]))


def _current_trace_id() -> str:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


# --- Sentry ----------------------------------------------------------------------


def _start_sentry(dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        # Local variables of frames would carry passwords and addresses under any name.
        include_local_variables=False,
    )


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's `before_send`: the event with every value under a sensitive key (password,
    token, secret, cookie, session, csrf, authorization, email, ...) replaced, and email
    addresses and `password=`/`token=` values removed from all remaining text."""
    from .logging import redact

    def scrub(value, key: str = ""):
        if key and _SENSITIVE_KEY.search(key):
            return FILTERED if value not in (None, "", [], {}) else value
        if isinstance(value, dict):
            return {k: scrub(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            if len(value) == 2 and isinstance(value[0], str):  # a [name, value] pair (headers, query)
                return [value[0], scrub(value[1], value[0])]
            return [scrub(item) for item in value]
        if isinstance(value, str):
            return _SECRET_IN_TEXT.sub(r"\1" + FILTERED, _EMAIL.sub(FILTERED, redact(value)))
        return value

    return scrub(event)
