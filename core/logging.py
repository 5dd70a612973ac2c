"""JSON log lines carrying the request id, with secrets redacted."""

import json
import logging
import re
from datetime import UTC, datetime

from .context import request_id_var

# Verification links carry a token in the path; tokens and passwords never reach a log.
_REDACTIONS = (
    (re.compile(r"(/verify-email/[^/\s]+/)[^/\s?\"']+"), r"\1[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[\w.\-]+"), r"\1[redacted]"),
    (re.compile(r"(?i)(password=)[^&\s]+"), r"\1[redacted]"),
    (re.compile(r"(?i)([?&]token=)[^&\s\"']+"), r"\1[redacted]"),  # calendar feed URLs
)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RequestIDFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
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
    """One JSON object per line: time, level, logger, message, request_id and any `extra`."""

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
