"""The member pages: `/` is the home page, every other member page lives under `/app/`.

Each area keeps its own URL list (`urls_account`: joining, signing in, the account;
`urls_events`: events, my events, notifications, people); every view runs under the
strict Content-Security-Policy of `portal.csp`.
"""

from django.urls import include, path

from .csp import strict
from .urls_account import urlpatterns as account
from .urls_events import urlpatterns as events
from .views.home import home

app_name = "portal"

urlpatterns = [
    *strict([path("", home, name="home")]),
    path("app/", include(strict(account + events))),
]
