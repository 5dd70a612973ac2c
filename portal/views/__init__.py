"""Plain Django views over the services and selectors (never the API views)."""

from django.http import Http404


def placeholder(request, *args, **kwargs):
    """Stands in for a page that is not built yet (replaced as each area lands)."""
    raise Http404("Not built yet.")
