"""Middleware that serves both servers without a thread hop.

Django's own middleware is async-capable through `MiddlewareMixin`, which under
ASGI runs each `process_*` hook in a thread (`sync_to_async`): about a dozen
hops a request for the stack in settings.MIDDLEWARE. Their hooks only read
headers and cookies, so `InlineHooks` runs them on the event loop instead; the
one hook that can do I/O (saving a modified session) still goes to a thread.
Under WSGI nothing changes.
"""

import logging
import re
import time
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware
from django.middleware import clickjacking, common, csrf, security
from django.utils.functional import SimpleLazyObject, empty
from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware

from .context import client_ip, client_ip_var, request_id_var
from .logging import redact
from .metrics import observe_request, queries_var

# The name operators read and alert on; it stays the project's.
access_logger = logging.getLogger("event_manager.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """First in the stack: give every request an id (the caller's X-Request-ID
    when sane, else a new one) and its client address (`core.context`), for every
    log line and audit row written while serving it; echo the id in the response
    header, and log one access line per request with method, path (secrets
    redacted), status, duration and user id; count it in the metrics (route
    template, method, status, duration, database queries: `core.metrics`) unless
    METRICS_ENABLED is off."""

    sync_capable = async_capable = True
    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        self.metered = settings.METRICS_ENABLED

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        tokens, started = self._start(request)
        try:
            return self._finish(request, self.get_response(request), started)
        finally:
            self._end(tokens)

    async def __acall__(self, request):
        tokens, started = self._start(request)
        try:
            return self._finish(request, await self.get_response(request), started)
        finally:
            self._end(tokens)

    def _start(self, request):
        incoming = request.headers.get(self.header, "")
        request.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        queries = [0] if self.metered else None
        counting = queries_var.set(queries) if self.metered else None
        tokens = request_id_var.set(request.request_id), client_ip_var.set(client_ip(request)), counting
        return tokens, (time.perf_counter(), queries)

    @staticmethod
    def _end(tokens):
        request_id_var.reset(tokens[0])
        client_ip_var.reset(tokens[1])
        if tokens[2] is not None:
            queries_var.reset(tokens[2])

    def _finish(self, request, response, started):
        started, queries = started
        duration = time.perf_counter() - started
        response[self.header] = request.request_id
        if queries is not None:
            observe_request(request, response.status_code, duration, queries[0])
        if access_logger.isEnabledFor(logging.INFO):
            user_id = _loaded_user_id(request)
            access_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": redact(request.path),
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                    "user_id": user_id,
                },
            )
        return response


def _loaded_user_id(request):
    """The id of the user the request was served for, without loading one that
    nothing needed (that would be a query, on the event loop under ASGI)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return str(user.pk) if user is not None and user.is_authenticated else None


class InlineHooks:
    """For a `MiddlewareMixin` whose hooks do no I/O: under ASGI, call them on
    the event loop rather than in a thread each."""

    def __init__(self, get_response):
        super().__init__(get_response)
        if iscoroutinefunction(self) and hasattr(self, "process_view"):
            process_view = self.process_view

            async def inline_process_view(*args):
                return process_view(*args)

            self.process_view = inline_process_view

    async def __acall__(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = await self._process_response(request, response)
        return response

    async def _process_response(self, request, response):
        return self.process_response(request, response)


class SecurityMiddleware(InlineHooks, security.SecurityMiddleware):
    pass


class CSPMiddleware(InlineHooks, BaseCSPMiddleware):
    pass


class CommonMiddleware(InlineHooks, common.CommonMiddleware):
    pass


class CsrfViewMiddleware(InlineHooks, csrf.CsrfViewMiddleware):
    pass


class AuthenticationMiddleware(InlineHooks, auth_middleware.AuthenticationMiddleware):
    pass


class MessageMiddleware(InlineHooks, messages_middleware.MessageMiddleware):
    pass


class XFrameOptionsMiddleware(InlineHooks, clickjacking.XFrameOptionsMiddleware):
    pass


class SessionMiddleware(InlineHooks, sessions_middleware.SessionMiddleware):
    """Saving a modified session writes to the database: that part goes to a thread."""

    async def _process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST):
            return await sync_to_async(self.process_response)(request, response)
        return self.process_response(request, response)


class WhiteNoiseMiddleware(BaseWhiteNoiseMiddleware):
    """WhiteNoise, async-capable: the lookup is a dict access; only serving a
    file (opening it) goes to a thread."""

    sync_capable = async_capable = True

    def __init__(self, get_response=None, settings=settings):
        super().__init__(get_response, settings)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        static_file = self._lookup(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)

    def _lookup(self, path):
        return self.find_file(path) if self.autorefresh else self.files.get(path)
