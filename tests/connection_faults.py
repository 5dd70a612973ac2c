"""A request that loses its database connection at a chosen point (issue 19, item 5).

`each_point(send)` sends a request once to learn its points — before each statement
it runs, and right after each COMMIT — then sends it again for every point with the
connection terminated there: PostgreSQL's `pg_terminate_backend` from a connection
of the harness's own, as an operator, a failover or a pooler would. The test checks
each answer against what the database holds.

The hook is an `execute_wrapper` (statements) and an `on_commit` callback registered
first in each transaction (so it runs right after the COMMIT, before the change's
own callbacks); the database is real throughout.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

import psycopg
from django.db import connection


@dataclass(frozen=True)
class Point:
    kind: str  # "before" a statement, or "after-commit"
    index: int  # which occurrence of the statement `sql` (from 1), or which commit
    sql: str = ""

    def __str__(self):
        return f"{self.kind} #{self.index} {self.sql[:70]}".strip()


def _shape(sql: str) -> str:
    """A statement without its savepoint name (new in every transaction)."""
    return re.sub(r'"s\d+_x\d+"', '"s"', sql)


def terminate(conn) -> None:
    """End `conn`'s server process and wait until it is gone."""
    pid = conn.connection.info.backend_pid
    settings = conn.settings_dict
    params = {"dbname": settings["NAME"], "user": settings["USER"], "password": settings["PASSWORD"]}
    params |= {"host": settings["HOST"], "port": settings["PORT"]}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])


@dataclass
class Hook:
    """Records a request's statements and commits; terminates the connection at `point`."""

    point: Point | None = None
    statements: list = field(default_factory=list)
    seen: Counter = field(default_factory=Counter)
    commits: int = 0
    fired: bool = False

    def __call__(self, execute, sql, params, many, context):
        conn = context["connection"]
        if conn.in_atomic_block and not any(func == self._committed for _, func, _ in conn.run_on_commit):
            conn.on_commit(self._committed)
        shape = _shape(sql)
        self.statements.append(shape)
        self.seen[shape] += 1
        point = self.point
        if point is not None and point.kind == "before" and (point.sql, point.index) == (shape, self.seen[shape]):
            self._fire(conn)
        return execute(sql, params, many, context)

    def _committed(self):
        self.commits += 1
        if self.point is not None and self.point.kind == "after-commit" and self.point.index == self.commits:
            self._fire(connection)

    def _fire(self, conn):
        self.fired = True
        terminate(conn)

    def points(self) -> list[Point]:
        seen = Counter()
        before = []
        for sql in self.statements:
            seen[sql] += 1
            before.append(Point("before", seen[sql], sql))
        return before + [Point("after-commit", index) for index in range(1, self.commits + 1)]


def send(request, point: Point | None = None):
    """`request()` with the hook installed; (its response, the hook). The connection the
    request broke is closed afterwards (the test client leaves it to the test)."""
    hook = Hook(point)
    try:
        with connection.execute_wrapper(hook):
            response = request()
    finally:
        connection.close()
    return response, hook


def each_point(setup, request, check) -> list[tuple[Point, int]]:
    """For a dry run's every point: `state = setup()`, `request(state)` with the connection
    terminated at the point, `check(state, response)`. Returns (point, status) pairs."""
    for _warm_up in range(2):  # the first request fills the process's caches (content types, ...)
        state = setup()
        _, dry = send(lambda state=state: request(state))
    assert dry.commits >= 1, "the request committed nothing: no point after a commit to test"
    seen = []
    for point in dry.points():
        for _attempt in range(3):  # a statement the process runs now and then (a cache refill) may be missing
            state = setup()
            response, hook = send(lambda state=state: request(state), point)
            if hook.fired:
                break
        assert hook.fired, f"{point}: not reached"
        try:
            check(state, response)
        except AssertionError as exc:
            raise AssertionError(f"connection terminated {point}: {exc}") from exc
        seen.append((point, response.status_code))
    return seen
