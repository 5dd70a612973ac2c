"""How async views reach synchronous code, under ASGI and under WSGI alike.

Django 5.2's ORM is synchronous underneath (its `a*` methods wrap the sync ones
in `sync_to_async`), so an async view reaches the database by handing work to a
thread. Views written in this project's pattern (see `core.api`) never
call `sync_to_async` themselves; they await one of two helpers:

- `call(fn, ...)`: database and other quick synchronous work. Under ASGI it runs
  on asgiref's thread-sensitive thread (one long-lived thread per process, see
  `event_manager.asgi`), which keeps one persistent database connection.
- `offload(fn, ...)`: CPU-heavy or slow blocking work (password hashing, SMTP).
  Under ASGI it runs on a small pool of its own, so it never blocks the event
  loop nor the database thread; a function that also touches the database gets
  Django's per-request connection hygiene around it.

Under WSGI the same coroutine handlers are *driven* without an event loop
(`drive`): both helpers then call the function inline and hand back its result
as an already-finished awaitable, so a request costs no event loop and no
thread hop (asgiref's `async_to_sync` would: see docs/benchmarks.md, "Why the code is shaped so").
"""

import contextvars
from concurrent.futures import Executor, ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import connections

_sync_mode: contextvars.ContextVar[bool] = contextvars.ContextVar("sync_mode", default=False)

# Where `offload` runs under ASGI. Argon2 releases the GIL, so a few threads
# hash in parallel with the event loop and the database thread.
blocking_executor: Executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="blocking")


def in_sync_mode() -> bool:
    """True while `drive` runs a coroutine (the WSGI path)."""
    return _sync_mode.get()


class _Ready:
    """An awaitable that is already finished: awaiting it returns `value` at once."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self.value
        yield  # a generator, so `await` accepts it; never reached


# Under ASGI, work the request's first hop to the database thread does before its own
# (the start-of-request signal, `event_manager.asgi`): a list, so the hop that takes it
# empties it for the handler too.
_before_first_call: contextvars.ContextVar[list | None] = contextvars.ContextVar("before_first_call", default=None)


def before_first_call(fn) -> list:
    """Have the request's first `call` run `fn()` first, on the database thread; returns
    the list that holds it (empty once a `call` took it)."""
    pending = [fn]
    _before_first_call.set(pending)
    return pending


def run_before_first_call() -> None:
    """Run (on this thread, the database thread) what the request's first `call` would have."""
    pending = _before_first_call.get()
    while pending:
        pending.pop()()


def _after(pending, fn, /, *args, **kwargs):
    while pending:
        pending.pop()()
    return fn(*args, **kwargs)


def call(fn, /, *args, **kwargs):
    """Await `fn(*args, **kwargs)`, a quick synchronous (database) function."""
    if _sync_mode.get():
        return _Ready(fn(*args, **kwargs))
    pending = _before_first_call.get()
    if pending:
        return sync_to_async(_after, thread_sensitive=True)(pending, fn, *args, **kwargs)
    return sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)


def _tidy_connections():
    """What Django does at each request's start and end, for a pool thread's own
    connections: close those that broke or outlived CONN_MAX_AGE. A connection
    inside a transaction is in use by the code waiting for us: never closed."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def _with_fresh_connections(fn, /, *args, **kwargs):
    _tidy_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        _tidy_connections()


def offload(fn, /, *args, **kwargs):
    """Await `fn(*args, **kwargs)`, CPU-heavy or slow blocking work, off the event loop
    and off the database thread."""
    if _sync_mode.get():
        return _Ready(fn(*args, **kwargs))
    return sync_to_async(_with_fresh_connections, thread_sensitive=False, executor=blocking_executor)(
        fn, *args, **kwargs
    )


def drive(coroutine):
    """Run a coroutine to completion without an event loop (the WSGI path).

    Only coroutines that await `call`/`offload` (or nothing) can be driven:
    anything that really suspends is a programming error, reported as such.
    """
    token = _sync_mode.set(True)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    finally:
        _sync_mode.reset(token)
    coroutine.close()
    raise RuntimeError("A view awaited something other than call()/offload() under WSGI.")
