"""Joining, signing in and the member's own account (under /app/)."""

from django.urls import path

from .views import placeholder

urlpatterns = [
    path("signup/", placeholder, name="signup"),
    path("login/", placeholder, name="login"),
    path("logout/", placeholder, name="logout"),
    path("account/", placeholder, name="account"),
]
