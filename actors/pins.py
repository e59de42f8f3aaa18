import dramatiq
from periodiq import cron

from actors.queues import PINS_QUEUE
from app.pins import service


@dramatiq.actor(queue_name=PINS_QUEUE, max_retries=0, periodic=cron("* * * * *"))
def dispatch_pin_jobs() -> None:
    """Send the PIN jobs due within the horizon and re-send the lost ones."""
    service.dispatch()


@dramatiq.actor(queue_name=PINS_QUEUE, max_retries=10, min_backoff=5_000)
def generate_pin(job_id: str, version: int) -> None:
    """Create or move one stay's PIN, if this job version is still current."""
    service.run_generate(job_id, version)


@dramatiq.actor(queue_name=PINS_QUEUE, max_retries=10, min_backoff=5_000)
def revoke_pin(job_id: str, version: int) -> None:
    """Revoke one stay's PIN, if this job version is still current."""
    service.run_revoke(job_id, version)
