"""Bringing the stored PIN jobs of a set of stays to their plan, in bulk."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from psycopg2.extras import execute_values

from app.pins.dispatch import DueJob, claim_jobs_by_id
from app.pins.plan import (
    JobChange,
    StayFacts,
    StoredJob,
    desired_run_times,
    job_id,
    plan_changes,
)
from models import database_proxy

logger = logging.getLogger(__name__)

FACTS_SQL = """
SELECT r.stays_reservation_id, r.type, r.deleted_at IS NOT NULL, r.check_in_date,
       r.check_in_time, r.check_out_date, r.check_out_time, r.stays_listing_id,
       COALESCE(l.timezone, %s), l.lock_id, l.check_in_time, l.check_out_time
FROM reservations r
LEFT JOIN listings l ON l.stays_listing_id = r.stays_listing_id
WHERE r.stays_reservation_id = ANY(%s)
"""
JOBS_SQL = """
SELECT id, stays_reservation_id, kind, run_at, status, version FROM pin_jobs
WHERE stays_reservation_id = ANY(%s)
"""
CODES_SQL = """
SELECT stays_reservation_id, lock_id FROM access_codes
WHERE stays_reservation_id = ANY(%s) AND status = 'active'
"""
INSERT_SQL = """
INSERT INTO pin_jobs (id, stays_reservation_id, kind, run_at) VALUES %s
ON CONFLICT (id) DO UPDATE SET run_at = EXCLUDED.run_at, status = 'scheduled',
    version = pin_jobs.version + 1, attempts = 0, last_error = NULL, updated_at = now()
"""
RESCHEDULE_SQL = """
UPDATE pin_jobs SET run_at = v.run_at, status = 'scheduled', version = pin_jobs.version + 1,
    attempts = 0, last_error = NULL, enqueued_at = NULL, completed_at = NULL, updated_at = now()
FROM (VALUES %s) AS v (id, run_at) WHERE pin_jobs.id = v.id
"""
CANCEL_SQL = """
UPDATE pin_jobs SET status = 'cancelled', version = version + 1, updated_at = now()
WHERE id = ANY(%s) AND status IN ('scheduled', 'enqueued', 'failed')
"""

# The counters a run reports: a restored job is scheduled again.
COUNTED_AS = {
    "schedule": "scheduled",
    "restore": "scheduled",
    "move": "moved",
    "cancel": "cancelled",
}


def plan_pin_jobs(
    stays_ids: list[str],
    settings,
    now: datetime,
    facts: dict[str, StayFacts] | None = None,
) -> list[JobChange]:
    """Return the job changes that bring these stays' jobs to their plan (reads only).

    facts, when given, replaces the reservations table's rows for those stays: a dry run
    plans with the records it fetched but did not write."""
    if not stays_ids:
        return []
    cursor = database_proxy.cursor()
    cursor.execute(FACTS_SQL, (settings.DEFAULT_TIMEZONE, list(stays_ids)))
    facts = {**{row[0]: StayFacts(*row) for row in cursor.fetchall()}, **(facts or {})}
    cursor.execute(JOBS_SQL, (list(stays_ids),))
    stored: dict[str, dict[str, StoredJob]] = {}
    for identifier, stays_id, kind, run_at, status, version in cursor.fetchall():
        stored.setdefault(stays_id, {})[kind] = StoredJob(identifier, kind, run_at, status, version)
    cursor.execute(CODES_SQL, (list(stays_ids),))
    code_locks = dict(cursor.fetchall())

    changes: list[JobChange] = []
    for stays_id in sorted(set(stays_ids)):
        stay = facts.get(stays_id) or vanished_stay(stays_id)
        desired = desired_run_times(
            stay, settings.PIN_LEAD_MINUTES, settings.PIN_REVOKE_AFTER_MINUTES, now
        )
        changes += plan_changes(
            stay,
            stored.get(stays_id, {}),
            stays_id in code_locks,
            code_locks.get(stays_id),
            desired,
            now,
        )
    return changes


def vanished_stay(stays_id: str) -> StayFacts:
    """Facts for a stay whose reservation row is gone: it wants no PIN."""
    return StayFacts(
        stays_id, "canceled", True, None, None, None, None, "", "UTC", None, None, None
    )


def apply_job_changes(changes: list[JobChange]) -> Counter:
    """Write the changes (inside the caller's transaction); return counts per run counter."""
    cursor = database_proxy.cursor()
    inserts = [
        (c.job_id, c.stays_reservation_id, c.kind, c.run_at)
        for c in changes
        if c.action == "schedule"
    ]
    reschedules = [(c.job_id, c.run_at) for c in changes if c.action in ("move", "restore")]
    cancels = [c.job_id for c in changes if c.action == "cancel"]
    if inserts:
        execute_values(cursor, INSERT_SQL, inserts, page_size=len(inserts))
    if reschedules:
        execute_values(
            cursor,
            RESCHEDULE_SQL,
            reschedules,
            template="(%s, %s::timestamptz)",
            page_size=len(reschedules),
        )
    if cancels:
        cursor.execute(CANCEL_SQL, (cancels,))
    for change in changes:
        logger.debug("PIN job %s: %s (run at %s).", change.job_id, change.action, change.run_at)
    return Counter(COUNTED_AS[c.action] for c in changes)


def sync_pin_jobs(stays_ids: list[str], settings, now: datetime) -> tuple[Counter, list[DueJob]]:
    """Plan and write these stays' jobs and claim those due now, inside the caller's
    transaction. Returns the counts per run counter and the claimed jobs, which the caller
    sends once the transaction has committed."""
    changes = plan_pin_jobs(stays_ids, settings, now)
    counts = apply_job_changes(changes)
    due = claim_jobs_by_id([change.job_id for change in changes if change.run_at], now)
    return counts, due


def orphaned_reservation_ids() -> list[str]:
    """Return the stays whose pending jobs belong to a reservation that is gone, deleted or no
    longer confirmed."""
    cursor = database_proxy.cursor()
    cursor.execute("""
        SELECT DISTINCT j.stays_reservation_id FROM pin_jobs j
        LEFT JOIN reservations r ON r.stays_reservation_id = j.stays_reservation_id
        WHERE j.status IN ('scheduled', 'enqueued')
          AND (r.id IS NULL OR r.deleted_at IS NOT NULL
               OR r.type NOT IN ('booked', 'contract'))
    """)
    return [row[0] for row in cursor.fetchall()]


__all__ = [
    "apply_job_changes",
    "job_id",
    "orphaned_reservation_ids",
    "plan_pin_jobs",
    "sync_pin_jobs",
    "vanished_stay",
]
