"""Who is asking, for the audit rows written while serving a request.

`audit.middleware.AuditContextMiddleware` sets these per request; outside a
request (management commands, tasks) they stay empty.
"""

import contextvars

client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_ip", default=None)
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("audit_request_id", default="")
