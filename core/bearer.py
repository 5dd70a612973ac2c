"""What a token request to the API does not need, and the CSP header built once.

A *token request* carries `Authorization: Bearer ...`, no session cookie, and goes to
an API route (`API_SEGMENTS`). Its caller is the token (users.authentication, on every
request, revocation included); nothing of a browser session applies to it:

- no session to load or save, no `request.user` from a session (DRF sets it from the
  token), no second step of a session (django-otp), no messages, no htmx details;
- no CSRF check: CSRF protects the credentials a browser attaches on its own (cookies);
  a page on another site cannot make a browser send an Authorization header without a
  CORS preflight, which this service never grants. A request that also carries the
  session cookie is not a token request and goes the full way, CSRF included.

The browser-only middleware below pass such a request straight through; everything
else (request id, access log and metrics, host validation, the security headers,
X-Frame-Options and the CSP header) runs as for any request. Page routes (`/`, `/app/`,
`/admin/`, the API docs, the emailed links) are never token requests, whatever their
headers: their views use the session.
"""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django_htmx import middleware as htmx_middleware
from django_otp import middleware as otp_middleware

from . import middleware

# The first path segment of every route whose views are DRF views authenticating by token
# (or, /metrics, reading the Authorization header itself). A guard test walks the URLconf.
API_SEGMENTS = frozenset(
    {
        "users",
        "events",
        "notifications",
        "audit",
        "login",
        "logout",
        "register",
        "token",
        "password-reset",
        "health",
        "metrics",
    }
)


def is_token_request(request) -> bool:
    """True for a Bearer request without a session cookie to an API route (decided once
    per request)."""
    try:
        return request._token_request
    except AttributeError:
        pass
    request._token_request = decision = _classify(request)
    return decision


def _classify(request) -> bool:
    meta = request.META
    if meta.get("HTTP_AUTHORIZATION", "")[:7].lower() != "bearer ":
        return False
    if "HTTP_COOKIE" in meta and settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    return request.path_info[1:].partition("/")[0] in API_SEGMENTS


class BrowserOnly:
    """A middleware for browser requests: a token request passes straight through."""

    def __call__(self, request):
        if is_token_request(request):
            return self.get_response(request)  # a coroutine when the chain is async
        return super().__call__(request)


class SessionMiddleware(BrowserOnly, middleware.SessionMiddleware):
    pass


class CsrfViewMiddleware(BrowserOnly, middleware.CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        if is_token_request(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(BrowserOnly, middleware.AuthenticationMiddleware):
    pass


class OTPMiddleware(BrowserOnly, otp_middleware.OTPMiddleware):
    pass


class MessageMiddleware(BrowserOnly, middleware.MessageMiddleware):
    pass


class HtmxMiddleware(BrowserOnly, htmx_middleware.HtmxMiddleware):
    pass


_UNSET = object()
_policies = {}  # report_only -> the header value of the settings' policy ("" for none)
# What a view's `csp_*` decorators leave on its response; a request's nonce is the other.
_PER_RESPONSE = tuple(
    name + suffix for name in ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt") for suffix in ("", "_ro")
)
_HEADERS = ((False, HEADER), (True, HEADER_REPORT_ONLY))


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.clear()


class CSPMiddleware(middleware.CSPMiddleware):
    """django-csp's middleware, with the policy of the settings built once: a response that
    no view decorated and no nonce was taken for gets the same header as before, without
    building it again (about 9 % of a cheap API request). Anything else goes the usual way."""

    def process_request(self, request):
        if not is_token_request(request):  # a token request's JSON answer takes no nonce
            super().process_request(request)

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, _UNSET) is not _UNSET for name in _PER_RESPONSE)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        for report_only, header in _HEADERS:
            policy = _policies.get(report_only)
            if policy is None:
                policy = _policies[report_only] = build_policy(report_only=report_only)
            if policy and header not in response and not _excluded(request, report_only):
                response[header] = policy
        if not is_token_request(request):  # as django-csp: a nonce taken from now on is an error
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


def _excluded(request, report_only) -> bool:
    name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
    prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return bool(prefixes) and request.path_info.startswith(tuple(prefixes))
