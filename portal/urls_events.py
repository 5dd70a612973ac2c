"""Events, my events, notifications and people (under /app/)."""

from django.urls import path

from .views import placeholder

urlpatterns = [
    path("events/", placeholder, name="events"),
    path("my-events/", placeholder, name="my-events"),
    path("notifications/", placeholder, name="notifications"),
    path("people/", placeholder, name="people"),
]
