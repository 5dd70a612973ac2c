"""The project's async-capable DRF views: adrf's, made cheap under both servers.

The pattern, set once and copied by every endpoint:

    class ThingViewSet(GenericViewSet):
        async def retrieve(self, request, pk=None):
            thing = await call(self.get_object)            # database work: one hop
            return Response(self.get_serializer(thing).data)

        @action(detail=True, methods=["post"])
        async def approve(self, request, pk=None):
            thing = await call(thing_approve, actor=request.user, thing_id=pk)  # a service
            return Response(ThingSerializer(thing).data)

Handlers are coroutines. They reach synchronous code only through
`core.concurrency.call` (database) and `offload` (hashing, SMTP), never
through the async ORM directly, so that:

- under ASGI (`event_manager.asgi`) a request is a coroutine on the event loop,
  and its database work runs on one long-lived thread per process;
- under WSGI the very same coroutine is driven without an event loop
  (`concurrency.drive`), with no thread hop at all.

`as_view()` returns a plain function (what WSGI and Django's test client call)
carrying the coroutine function as `view.async_variant`, which the project's
ASGI handler picks.
"""

import functools
import inspect

from adrf import viewsets
from adrf.views import APIView as AdrfAPIView
from django.utils.decorators import classonlymethod
from rest_framework.permissions import AllowAny

from .concurrency import call, drive, in_sync_mode
from .throttling import AuthRateThrottle


class AsyncCapableMixin:
    """Dispatch with one hop for authentication, permissions and throttles,
    then the handler; and a view function for each server."""

    @classonlymethod
    def as_view(cls, *args, **initkwargs):
        async_view = super().as_view(*args, **initkwargs)

        def view(request, *args, **kwargs):
            return drive(async_view(request, *args, **kwargs))

        functools.update_wrapper(view, async_view)
        view.__dict__.pop("_is_coroutine", None)  # update_wrapper copied the async marker
        del view.__wrapped__
        view.async_variant = async_view
        return view

    def dispatch(self, request, *args, **kwargs):
        # adrf decides per request by walking the class's members (a large share
        # of a cheap request: docs/benchmarks.md); these views are always async.
        return self.async_dispatch(request, *args, **kwargs)

    async def async_dispatch(self, request, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            await call(self.initial, request, *args, **kwargs)
            method = request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            handler = handler or self.http_method_not_allowed
            if inspect.iscoroutinefunction(handler):
                response = await handler(request, *args, **kwargs)
            else:
                response = await call(handler, request, *args, **kwargs)
        except Exception as exc:  # as DRF's own dispatch: handle_exception decides
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        if not in_sync_mode() and hasattr(self.response, "render"):  # a plain HttpResponse (.ics, .csv) needs none
            _render_here(self.response)
        return self.response


def _render_here(response):
    """Render a DRF response on the event loop (JSON encoding: CPU only, no I/O),
    so Django does not hand it to a thread to render: it then finds `render` a
    coroutine function returning the rendered response."""
    response.render()

    async def rendered():
        return response

    response.render = rendered


class APIView(AsyncCapableMixin, AdrfAPIView):
    """An APIView whose handlers are `async def`."""


class GenericViewSet(AsyncCapableMixin, viewsets.GenericViewSet):
    """A GenericViewSet whose actions are `async def`."""


class PublicAPIView(APIView):
    """Anyone may call it; throttled per client address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]
