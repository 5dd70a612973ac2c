"""ASGI entry point (gunicorn with uvicorn workers)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "event_manager.settings")
# Under ASGI each request runs the ORM in a fresh thread, so persistent
# connections (CONN_MAX_AGE) pile up until PostgreSQL refuses clients
# (measured: ~100 connections within seconds, see docs/benchmarks.md).
# The psycopg pool shares a few connections per process instead.
os.environ.setdefault("DATABASE_POOL", "true")

application = get_asgi_application()
