"""Dramatiq actors, one module per pipeline stage. Importing this package binds the broker
(REDIS_URL) and the database (DATABASE_URL) without connecting to either."""

import dramatiq

from app.broker import create_redis_broker
from app.config import get_settings
from app.db import init_database

_settings = get_settings()
dramatiq.set_broker(create_redis_broker(_settings.REDIS_URL))
init_database(_settings.DATABASE_URL)

from actors.collect import collect_run  # noqa: E402
from actors.fetch import fetch_pages  # noqa: E402
from actors.pins import dispatch_pin_jobs, generate_pin, revoke_pin  # noqa: E402
from actors.process import process_page  # noqa: E402
from actors.reconcile import reconcile  # noqa: E402

__all__ = [
    "collect_run",
    "dispatch_pin_jobs",
    "fetch_pages",
    "generate_pin",
    "process_page",
    "reconcile",
    "revoke_pin",
]
