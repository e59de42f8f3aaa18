import dramatiq

from actors.queues import PIPELINE_QUEUE
from app.reconciliation import trigger


@dramatiq.actor(queue_name=PIPELINE_QUEUE, max_retries=trigger.FETCH_RETRIES, min_backoff=2_000)
def fetch_page(run_id: int, skip: int) -> None:
    """Fetch one page of the run's window and fan out its reservations."""
    trigger.handle_page(run_id, skip)
