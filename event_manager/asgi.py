"""ASGI entry point (gunicorn with uvicorn workers, or any ASGI server).

Django's stock ASGI handler opens a `ThreadSensitiveContext` per request: every
request gets a new thread for its synchronous work, and with it a new database
connection (a cost of its own per request, and persistent connections piling
up until PostgreSQL refuses clients: docs/benchmarks.md). This
handler runs the synchronous work of every request on asgiref's one long-lived
thread-sensitive thread instead, so a process keeps one database connection
(CONN_MAX_AGE works as under WSGI) and a hop is cheap. Views of the
project's async pattern (`core.api`) are served as coroutines.
Slow blocking work never runs on that thread: `concurrency.offload` sends it
to a pool of its own.

Two more hops a request are Django's, and this handler saves them (docs/benchmarks.md):

- `request_started` (its receivers close an old or broken database connection) hops to
  the database thread before anything else. For a token request (`core.bearer`) its
  receivers run in the request's first hop instead, still before any database work: the
  first `call` of a `core.api` view (`concurrency.before_first_call`), the hop Django
  makes for a synchronous view, one of its own before any other view; a request that
  reached no view (a 404, a redirect) runs them at its end. Other requests send it as
  Django does.
- `response.close()` (which sends `request_finished`) runs on the loop when the response
  holds no file or stream to close (only the request's uploads, if any): its receivers
  only touch the loop thread's state (cache handles, the URLconf); the database thread's
  connection is checked by the next request's `request_started`, before it is used.
"""

import asyncio
import contextlib
import os

import django
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.asgi import get_script_prefix
from django.urls import set_script_prefix

from core.concurrency import before_first_call, run_before_first_call

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "event_manager.settings")


class ServesAsyncVariants:
    """A handler mixin: call a view's coroutine variant (`core.api`)."""

    def make_view_atomic(self, view):
        return super().make_view_atomic(getattr(view, "async_variant", view))


class ASGIHandler(ServesAsyncVariants, DjangoASGIHandler):
    def __init__(self):
        super().__init__()
        from core.bearer import is_token_request  # middleware classes: importable once Django is set up

        self.is_token_request = is_token_request

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    def make_view_atomic(self, view):
        atomic = super().make_view_atomic(view)
        if hasattr(view, "async_variant"):
            return atomic  # `core.api`: its first database work is a `call`
        return _start_first(atomic)

    async def handle(self, scope, receive, send):
        """Django's `ASGIHandler.handle`, with the two hops above saved."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        pending = None
        if request is not None and self.is_token_request(request):
            pending = before_first_call(lambda: signals.request_started.send(sender=self.__class__, scope=scope))
        else:
            await signals.request_started.asend(sender=self.__class__, scope=scope)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request, send):
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client left while it was sent
                await self.send_response(response, send)
            return response

        # Catch a disconnect while the response is made (as Django does).
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        if pending:  # no `call` took it: the receivers run now
            await sync_to_async(pending.pop())()
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            closers = response._resource_closers  # Django adds `request.close` (uploaded files) to every one
            if response.streaming or any(getattr(closer, "__self__", None) is not request for closer in closers):
                await sync_to_async(response.close)()
            else:
                response.close()
        body_file.close()


def _start_first(view):
    """A view that may reach the database other than by `call` (a synchronous view, or
    an async one of its own): the deferred start signal runs before it, on the database
    thread (for a synchronous view, in the hop Django makes for it anyway)."""
    if iscoroutinefunction(view):

        async def started_first(*args, **kwargs):
            await sync_to_async(run_before_first_call)()
            return await view(*args, **kwargs)

        return started_first

    def started_first_sync(*args, **kwargs):
        run_before_first_call()
        return view(*args, **kwargs)

    return started_first_sync


def get_asgi_application() -> ASGIHandler:
    django.setup(set_prefix=False)
    return ASGIHandler()


application = get_asgi_application()
