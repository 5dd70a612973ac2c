"""JSON log lines carrying the request id (and the trace id when tracing), with secrets redacted."""

import functools
import json
import logging
import re
from datetime import UTC, datetime

from django.apps import apps
from django.urls import URLResolver, get_resolver

from .context import request_id_var

# One rule for secrets in URLs: a URL parameter whose name says "token" (a path
# kwarg of any route in the URLconf, or a query parameter) never reaches a log.
# Routes are read from the URLconf, so a new route with a token in it is covered
# without a list kept by hand. Bearer tokens and passwords in text likewise.
SECRET_PARAMETER = re.compile(r"token", re.IGNORECASE)
_STOP = "\\s\"'?&#<>"  # a URL inside a log line ends at white space, a quote, a query or a bracket
_TEXT_REDACTIONS = (
    (re.compile(r"(?i)(bearer\s+)[\w.\-]+"), r"\1[redacted]"),
    (re.compile(r"(?i)(password=)[^&\s]+"), r"\1[redacted]"),
    (re.compile(rf"(?i)([?&][\w.\-]*token[\w.\-]*=)[^&{_STOP}]+"), r"\1[redacted]"),
)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _searchable(regex: str) -> str:
    """A route's anchored regex as one that finds the path inside a log line."""
    regex = regex.removeprefix("^")
    for end in ("\\Z", "$"):
        regex = regex.removesuffix(end)
    return regex.replace("[^/", f"[^/{_STOP}")


def _walk(resolvers, prefix=""):
    for entry in resolvers:
        regex = prefix + _searchable(entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, regex)
        else:
            yield regex


@functools.cache
def secret_routes() -> tuple[re.Pattern, ...]:
    """Every route of the URLconf with a token in its path, as a pattern to search log text with."""
    routes = []
    for regex in _walk(get_resolver().url_patterns):
        compiled = re.compile("/" + regex)
        if any(SECRET_PARAMETER.search(name) for name in compiled.groupindex):
            routes.append(compiled)
    return tuple(routes)


def _hide_secret_groups(match: re.Match) -> str:
    text, start = match.group(0), match.start()
    secrets = sorted(match.span(name) for name in match.re.groupindex if SECRET_PARAMETER.search(name))
    for begin, end in reversed(secrets):
        if begin != -1:
            text = text[: begin - start] + "[redacted]" + text[end - start :]
    return text


def _routes() -> tuple[re.Pattern, ...]:
    if not apps.ready:  # a line logged while Django starts: no URLconf to read yet
        return ()
    try:
        return secret_routes()
    except Exception:  # a formatter must never raise; the broken URLconf is reported elsewhere
        return ()


def redact(text: str) -> str:
    for route in _routes():
        text = route.sub(_hide_secret_groups, text)
    for pattern, replacement in _TEXT_REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


# Set by core.observability when tracing is on: returns the current trace id, or "".
trace_id_source = None


class RequestIDFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        if trace_id_source is not None:
            record.trace_id = trace_id_source()
        return True


def _extras(record):
    return {key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRS and not key.startswith("_")}


class TextFormatter(logging.Formatter):
    """Human-readable line with `extra` fields as key=value, secrets redacted."""

    def format(self, record):
        line = super().format(record)
        extras = " ".join(f"{key}={value}" for key, value in _extras(record).items() if key != "request_id")
        return redact(f"{line} {extras}" if extras else line)


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, trace_id (when
    tracing is on) and any `extra`."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # Redact the finished line: extras such as Django's `request` object only
        # become text (with the raw path) when serialised.
        return redact(json.dumps(entry, default=str))
