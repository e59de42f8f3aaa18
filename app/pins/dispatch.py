"""The PIN dispatcher: sends the jobs due within the horizon and re-sends lost ones.

The broker only ever contains the messages of the next PIN_DISPATCH_HORIZON_MINUTES, so its
memory does not grow with the number of stays booked months ahead."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from models import database_proxy

logger = logging.getLogger(__name__)

# A job enqueued this long ago whose run time is this far past and that is still not done is
# taken as lost (Redis flushed or failed over) and sent again. The PIN actors finish in well
# under a second, so a live message is never this late unless the workers are all down.
LOST_AFTER_MINUTES = 2
MAX_JOBS_PER_DISPATCH = 5_000

CLAIM_SQL = """
UPDATE pin_jobs SET status = 'enqueued', enqueued_at = now(), updated_at = now()
WHERE id IN (
    SELECT id FROM pin_jobs
    WHERE (status = 'scheduled' AND run_at <= %(horizon)s)
       OR (status = 'enqueued' AND enqueued_at < %(lost)s AND run_at < %(lost)s)
    ORDER BY run_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING id, kind, version, run_at
"""


@dataclass(frozen=True)
class DueJob:
    id: str
    kind: str
    version: int
    run_at: datetime

    @property
    def actor_name(self) -> str:
        return "generate_pin" if self.kind == "generate" else "revoke_pin"

    def delay_milliseconds(self, now: datetime) -> int:
        return max(0, int((self.run_at - now).total_seconds() * 1000))


def claim_due_jobs(horizon_minutes: int, now: datetime) -> list[DueJob]:
    """Mark the due and the lost jobs enqueued and return them; the caller sends them after
    this transaction commits. SKIP LOCKED keeps two dispatchers from claiming one job."""
    with database_proxy.atomic():
        cursor = database_proxy.execute_sql(
            CLAIM_SQL,
            {
                "horizon": now + timedelta(minutes=horizon_minutes),
                "lost": now - timedelta(minutes=LOST_AFTER_MINUTES),
                "limit": MAX_JOBS_PER_DISPATCH,
            },
        )
        jobs = [DueJob(*row) for row in cursor.fetchall()]
    if jobs:
        logger.info("Dispatching %d PIN job(s).", len(jobs))
    return jobs


def claim_jobs_by_id(job_ids: list[str], now: datetime) -> list[DueJob]:
    """Claim specific scheduled jobs that are due now, to send them without waiting for the
    dispatcher's next tick."""
    if not job_ids:
        return []
    cursor = database_proxy.execute_sql(
        """
        UPDATE pin_jobs SET status = 'enqueued', enqueued_at = now(), updated_at = now()
        WHERE id = ANY(%s) AND status = 'scheduled' AND run_at <= %s
        RETURNING id, kind, version, run_at
        """,
        (list(job_ids), now),
    )
    return [DueJob(*row) for row in cursor.fetchall()]
