"""The member pages' Content-Security-Policy: stricter than the site's default.

The admin and Swagger UI need inline styles; the member pages need none, nor inline
script: every script and stylesheet is a static file. Member photos are shown from the
address a member gave, so images may come from any https origin.
"""

from csp.constants import NONE, SELF
from csp.decorators import csp_replace

STRICT = {
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "https:"],
    "font-src": [SELF],
    "worker-src": [NONE],
}

strict_csp = csp_replace(STRICT)


def strict(urlpatterns):
    """Wrap every view of `urlpatterns` in the strict policy; returns the same list."""
    for pattern in urlpatterns:
        pattern.callback = strict_csp(pattern.callback)
    return urlpatterns
