"""Hands the client address and the request id to `audit_record` (through contextvars).

Async-capable like the project's other middleware: no thread hop under ASGI.
Place it after `event_manager.middleware.RequestIDMiddleware`, which sets
`request.request_id`.
"""

import ipaddress

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

from .context import client_ip_var, request_id_var


def client_ip(request) -> str | None:
    """The client's address as DRF's throttles see it: REMOTE_ADDR, or the
    X-Forwarded-For entry added by the outermost of NUM_PROXIES trusted proxies."""
    address = request.META.get("REMOTE_ADDR", "")
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        address = hops[-min(num_proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class AuditContextMiddleware:
    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        tokens = self._start(request)
        try:
            return self.get_response(request)
        finally:
            self._end(tokens)

    async def __acall__(self, request):
        tokens = self._start(request)
        try:
            return await self.get_response(request)
        finally:
            self._end(tokens)

    @staticmethod
    def _start(request):
        return client_ip_var.set(client_ip(request)), request_id_var.set(getattr(request, "request_id", ""))

    @staticmethod
    def _end(tokens):
        client_ip_var.reset(tokens[0])
        request_id_var.reset(tokens[1])
