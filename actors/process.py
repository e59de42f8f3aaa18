import dramatiq

from actors.queues import PIPELINE_QUEUE
from app.reconciliation.process import process_reservation as process


@dramatiq.actor(queue_name=PIPELINE_QUEUE, max_retries=5, min_backoff=1_000)
def process_reservation(run_id: int, raw: dict) -> None:
    """Upsert one reservation of a run and record its outcome."""
    process(run_id, raw)
