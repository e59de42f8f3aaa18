import dramatiq

from actors.queues import PIPELINE_QUEUE
from app.reconciliation import trigger


@dramatiq.actor(queue_name=PIPELINE_QUEUE, max_retries=trigger.FETCH_RETRIES, min_backoff=2_000)
def collect_run(run_id: int) -> None:
    """Finalise the run once every fetched reservation has an outcome; else check again soon."""
    trigger.handle_collect(run_id)
