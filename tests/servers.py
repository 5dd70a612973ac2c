"""Test clients for both ways the service is served.

`wsgi`: DRF's APIClient, as gunicorn's sync workers serve it — the views'
coroutines are driven without an event loop.

`asgi`: the same requests served the way `event_manager.asgi.ASGIHandler` does —
the middleware chain in async mode and the views as coroutines on an event
loop. The loop is asgiref's, around the test's thread, so database work
(`call`) runs on the test's connection and sees its transaction; `offload`,
which in production runs on a pool of its own, runs there too for the same
reason (`CallerThreadExecutor`).
"""

from concurrent.futures import Executor

from asgiref.sync import AsyncToSync, async_to_sync
from rest_framework.test import APIClient, ForceAuthClientHandler, force_authenticate

from event_manager.asgi import ServesAsyncVariants


class CallerThreadExecutor(Executor):
    """Runs submitted work on the thread that is waiting in `async_to_sync`."""

    def submit(self, fn, /, *args, **kwargs):
        return AsyncToSync.executors.current.submit(fn, *args, **kwargs)


class ASGIClientHandler(ServesAsyncVariants, ForceAuthClientHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=True)

    def get_response(self, request):
        force_authenticate(request, self._force_user, self._force_token)
        return async_to_sync(self.get_response_async)(request)


class ASGIAPIClient(APIClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.handler = ASGIClientHandler(enforce_csrf_checks=False)


SERVERS = {"wsgi": APIClient, "asgi": ASGIAPIClient}
