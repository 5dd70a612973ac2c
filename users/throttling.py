from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle


class AuthRateThrottle(SimpleRateThrottle):
    """Per client address, on login, registration, verification and other
    unauthenticated writes. The rate (AUTH_THROTTLE_RATE) is read at request
    time; counts live in the cache, which is Redis when several instances run."""

    scope = "auth"

    def get_rate(self):
        rate = settings.AUTH_THROTTLE_RATE
        return None if not rate or str(rate).lower() == "none" else rate

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ThrottleUnauthenticatedWritesMixin:
    """For views that need a token: a write that fails authentication counts
    against AuthRateThrottle, so guessing tokens costs the same budget as
    guessing passwords. Authenticated requests are never counted."""

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (NotAuthenticated, AuthenticationFailed):
            if request.method not in SAFE_METHODS:
                throttle = AuthRateThrottle()
                if not throttle.allow_request(request, self):
                    self.throttled(request, throttle.wait())
            raise
