"""The admin home in the order staff use it (event_manager/admin_order.py)."""

import pytest
from django.urls import reverse

from event_manager.admin_order import order_app_list

pytestmark = pytest.mark.django_db


def names(app_list):
    return [(app["app_label"], [model["object_name"] for model in app["models"]]) for app in app_list]


def test_people_events_and_registrations_first_plumbing_last(admin_site_client):
    app_list = admin_site_client.get(reverse("admin:index")).context["app_list"]
    ordered = names(app_list)

    assert ordered[0] == ("users", ["User"])
    assert ordered[1] == ("events", ["Event", "Registration"])
    assert ordered[2][0] == "notifications" and ordered[2][1][0] == "OutgoingEmail" and ordered[2][1][-1] == "FanOut"
    assert ordered[3][0] == "audit"
    assert ordered[-1][0] == "token_blacklist"


def test_the_same_order_on_an_app_page(admin_site_client):
    app_list = admin_site_client.get(reverse("admin:app_list", args=["notifications"])).context["app_list"]
    assert names(app_list)[0][1][-1] == "FanOut"


def test_apps_not_named_keep_their_order_between_the_named_and_the_plumbing():
    def app(label, *models):
        return {"app_label": label, "models": [{"object_name": name} for name in models]}

    given = [app("token_blacklist", "A"), app("zoo", "B"), app("audit", "C"), app("alpha", "D"), app("users", "User")]
    assert [entry["app_label"] for entry in order_app_list(given)] == [
        "users",
        "audit",
        "zoo",
        "alpha",
        "token_blacklist",
    ]
