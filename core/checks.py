"""Django's deploy checks, taught that the project's async-capable middleware counts.

`check --deploy` looks for Django's own dotted paths in MIDDLEWARE
(`"django.middleware.security.SecurityMiddleware" in settings.MIDDLEWARE`), so with
`core.middleware.SecurityMiddleware` (a subclass) it would warn W001 and, worse,
pass every HSTS, SSL-redirect and cookie check vacuously ("no security middleware").
Silencing W001 would hide that. Instead the three lookups accept subclasses, and all the
deploy checks judge the real settings.
"""

from django.conf import settings
from django.core.checks.security import base, csrf
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.module_loading import import_string


def _installed(middleware_class) -> bool:
    return any(issubclass(import_string(path), middleware_class) for path in settings.MIDDLEWARE)


def recognise_subclassed_middleware() -> None:
    base._security_middleware = lambda: _installed(SecurityMiddleware)
    base._xframe_middleware = lambda: _installed(XFrameOptionsMiddleware)
    csrf._csrf_middleware = lambda: _installed(CsrfViewMiddleware)
