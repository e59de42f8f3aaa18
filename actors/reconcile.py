import logging

import dramatiq
from periodiq import cron

from actors.queues import RECONCILE_QUEUE
from app.config import get_settings
from app.reconciliation import trigger

logger = logging.getLogger(__name__)


@dramatiq.actor(
    queue_name=RECONCILE_QUEUE,
    max_retries=3,
    min_backoff=5_000,
    periodic=cron(get_settings().RECONCILE_CRON),
)
def reconcile(trigger_key: str | None = None) -> None:
    """Start a run (or record why none starts) and send its first page."""
    trigger.handle_trigger(trigger_key)
