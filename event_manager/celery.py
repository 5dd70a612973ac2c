"""The Celery application.

With no CELERY_BROKER_URL the settings make every task run eagerly in-process,
so the service needs no broker to run; with one, `celery -A event_manager worker`
runs them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "event_manager.settings")

app = Celery("event_manager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _contributed_beat_schedule(sender, **kwargs):
    """Celery beat runs the periodic jobs apps contribute in their ready() (notifications.registry.periodic):
    the outbox sweep every minute, the daily digest, and whatever events/ adds."""
    from notifications.registry import beat_schedule

    sender.conf.beat_schedule = {**beat_schedule(), **(sender.conf.beat_schedule or {})}
