from celery import shared_task

from .retention import purge


@shared_task
def purge_expired() -> dict:
    """Beat, every RETENTION_INTERVAL seconds: the retention rules, in small batches (core.retention)."""
    return purge()
