"""Load test of the service under gunicorn, WSGI and ASGI, with wrk: `python -m bench --help`.

`bench.cli` parses the options and runs the whole benchmark, using `bench.database`
(bench database, migration, seeding), `bench.server` (gunicorn), `bench.load` (scenarios
and wrk) and `bench.machine` (machine facts, CPU sampling); `bench.report` holds the pure
parsing and formatting functions (unit-tested, no network).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """A failure with a message for the user; no traceback needed."""


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)
