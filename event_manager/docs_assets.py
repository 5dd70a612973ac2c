"""Files the admin and the API documentation need, served by the app itself (offline, under the CSP)."""

from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.ico"
REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# ReDoc's sidebar footer loads its vendor's logo from a CDN: a CSP violation, and a
# failed request offline. An empty inline image takes its place.
REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    return HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")


@cache
def _redoc_bundle() -> bytes:
    return Path(finders.find(REDOC_BUNDLE)).read_bytes().replace(REDOCLY_LOGO, EMPTY_IMAGE)


@require_safe
@cache_control(public=True, max_age=86400)
def redoc_bundle(request):
    """ReDoc's standalone bundle from drf-spectacular-sidecar, with no request to a CDN."""
    return HttpResponse(_redoc_bundle(), content_type="text/javascript; charset=utf-8")
