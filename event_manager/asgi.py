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
"""

import os

import django
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "event_manager.settings")


class ServesAsyncVariants:
    """A handler mixin: call a view's coroutine variant (`core.api`)."""

    def make_view_atomic(self, view):
        return super().make_view_atomic(getattr(view, "async_variant", view))


class ASGIHandler(ServesAsyncVariants, DjangoASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


def get_asgi_application() -> ASGIHandler:
    django.setup(set_prefix=False)
    return ASGIHandler()


application = get_asgi_application()
