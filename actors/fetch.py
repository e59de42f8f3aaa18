import dramatiq

from actors.queues import PIPELINE_QUEUE
from app.reconciliation import trigger


@dramatiq.actor(queue_name=PIPELINE_QUEUE, max_retries=trigger.FETCH_RETRIES, min_backoff=2_000)
def fetch_pages(run_id: int) -> None:
    """Page through the run's window and send each page to process_page."""
    trigger.handle_fetch(run_id)
