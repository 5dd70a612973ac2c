"""Routes of the floor itself (operations endpoints), included by event_manager/urls.py."""

urlpatterns = []
