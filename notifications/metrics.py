"""The notifications' Prometheus metrics (README, Operating it: Metrics): fan-out sizes,
counted where a fan-out is written, and the outbox, read from the database at each scrape
(two indexed queries). Imported once by the app's ready()."""

from core import metrics

from . import selectors

FANOUT_RECIPIENTS = metrics.histogram(
    "event_manager_notification_fanout_recipients",
    "Recipients of each notify_many fan-out, by notification kind.",
    ["kind"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
)

metrics.scrape_gauge(
    "event_manager_outbox_emails",
    "Emails in the outbox by status (pending, sending, failed), read at scrape time.",
    selectors.outbox_counts,
    labelnames=["status"],
)
metrics.scrape_gauge(
    "event_manager_outbox_oldest_pending_age_seconds",
    "Age of the oldest email not sent yet (pending or sending; 0 when none), read at scrape time.",
    selectors.outbox_oldest_unsent_age,
)
