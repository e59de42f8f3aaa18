import dramatiq

from actors.queues import PIPELINE_QUEUE
from app.reconciliation import trigger


@dramatiq.actor(queue_name=PIPELINE_QUEUE, max_retries=5, min_backoff=1_000)
def process_page(run_id: int, skip: int, records: list) -> None:
    """Validate, compare and upsert one page of reservations and record their outcomes."""
    trigger.handle_page(run_id, skip, records)
