from django.conf import settings
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
