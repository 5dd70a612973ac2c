"""Events, my events, notifications and people (under /app/)."""

from django.urls import path

from .views import events, me, people

urlpatterns = [
    path("events/", events.event_list, name="events"),
    path("events/id/<uuid:event_id>/", events.event_by_id, name="event-by-id"),
    path("events/<slug:slug>/", events.event_detail, name="event"),
    path("events/<slug:slug>/register/", events.event_register, name="event-register"),
    path("events/<slug:slug>/cancel/", events.event_cancel, name="event-cancel"),
    path("events/<slug:slug>/calendar.ics", events.event_calendar, name="event-calendar"),
    path("my-events/", me.my_events, name="my-events"),
    path("my-events/calendar-feed/", me.calendar_feed, name="calendar-feed"),
    path("notifications/", me.notifications, name="notifications"),
    path("notifications/read-all/", me.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:notification_id>/read/", me.notification_read, name="notification-read"),
    path("people/", people.people, name="people"),
]
