"""Routes of the floor itself (operations endpoints), included by event_manager/urls.py."""

from django.urls import re_path

from .views import metrics

urlpatterns = [
    re_path(r"^metrics/?$", metrics, name="metrics"),
]
