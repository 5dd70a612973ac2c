"""Who is asking, for the log lines and audit rows written while serving a request.

`core.middleware.RequestContextMiddleware` sets these first thing per request;
outside a request (management commands, tasks) they stay empty.
"""

import contextvars
import ipaddress

from django.conf import settings

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def client_ip(request) -> str | None:
    """The client's address — the one rule for audit rows, logs and throttles:
    REMOTE_ADDR, or the X-Forwarded-For entry added by the outermost of
    NUM_PROXIES trusted proxies. None when that is not an IP address."""
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
