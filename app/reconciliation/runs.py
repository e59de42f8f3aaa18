"""Starting, failing and describing runs; one active run at a time, enforced by PostgreSQL."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import peewee

from app import clock
from app.stays.client import Window
from models import ReconciliationLog, database_proxy

logger = logging.getLogger(__name__)

ONE_RUNNING_INDEX = "reconciliation_logs_one_running_key"
TRIGGER_KEY_INDEX = "reconciliation_logs_trigger_key_key"


@dataclass(frozen=True)
class RunStart:
    run_id: int | None
    resumed: bool = False
    skipped_reason: str | None = None


def window_for(today: date, lookback_days: int, horizon_days: int) -> Window:
    return Window(today - timedelta(days=lookback_days), today + timedelta(days=horizon_days))


def mark_stale_runs(stale_minutes: int, now: datetime) -> int:
    """Mark runs still 'running' after stale_minutes as failed, so a new run can start."""
    cutoff = now - timedelta(minutes=stale_minutes)
    count = (
        ReconciliationLog.update(
            status="failed",
            message=f"Marked failed: still running after {stale_minutes} minutes (stale).",
            completed_at=now,
            errors=1,
            duration=peewee.fn.FLOOR(
                peewee.SQL('EXTRACT(EPOCH FROM (%s - "startedAt")) * 1000', (now,))
            ),
        )
        .where((ReconciliationLog.status == "running") & (ReconciliationLog.started_at < cutoff))
        .execute()
    )
    if count:
        logger.warning("Marked %d stale run(s) failed.", count)
    return count


def start_run(
    trigger_key: str,
    window: Window,
    stale_minutes: int,
    now: datetime,
    message_id: str | None = None,
) -> RunStart:
    """Insert the 'running' row of a new run, or a 'skipped' row saying why none started.

    The same trigger message (message_id) arriving again while its run is running is a
    redelivery: the run is returned with resumed=True so its first page is sent again.
    Another message with the same trigger_key, such as a second scheduler firing the same
    tick, is skipped."""
    mark_stale_runs(stale_minutes, now)
    try:
        with database_proxy.atomic():
            run = ReconciliationLog.create(
                last_run_at=_last_success_started_at(),
                started_at=now,
                created_at=now,
                status="running",
                window_from=window.start,
                window_to=window.end,
                trigger_key=trigger_key,
                trigger_message_id=message_id,
            )
        logger.info("Run %d started for %s to %s.", run.id, window.start, window.end)
        return RunStart(run.id)
    except peewee.IntegrityError as error:
        if ONE_RUNNING_INDEX not in str(error) and TRIGGER_KEY_INDEX not in str(error):
            raise
        return _explain_conflict(trigger_key, now, message_id)


def _explain_conflict(trigger_key: str, now: datetime, message_id: str | None) -> RunStart:
    same_trigger = ReconciliationLog.get_or_none(
        (ReconciliationLog.trigger_key == trigger_key) & (ReconciliationLog.status != "skipped")
    )
    redelivered = same_trigger is not None and same_trigger.trigger_message_id == message_id
    if redelivered and same_trigger.status == "running":
        logger.info(
            "Trigger %s was delivered again; resuming run %d.", trigger_key, same_trigger.id
        )
        return RunStart(same_trigger.id, resumed=True)
    if same_trigger is not None:
        reason = f"Trigger {trigger_key} already started run {same_trigger.id}."
    else:
        active = ReconciliationLog.get_or_none(ReconciliationLog.status == "running")
        active_id = active.id if active else "?"
        reason = f"Run {active_id} is still running."
    ReconciliationLog.create(
        started_at=now,
        completed_at=now,
        created_at=now,
        duration=0,
        status="skipped",
        message=reason,
        trigger_key=trigger_key,
    )
    logger.info("Skipped trigger %s: %s", trigger_key, reason)
    return RunStart(None, skipped_reason=reason)


def _last_success_started_at() -> datetime | None:
    return (
        ReconciliationLog.select(peewee.fn.MAX(ReconciliationLog.started_at))
        .where(ReconciliationLog.status == "success")
        .scalar()
    )


def fail_run(run_id: int, message: str, now: datetime | None = None) -> bool:
    """Mark a running run failed with one error; return False if it had already ended."""
    now = now or clock.utc_now()
    run = ReconciliationLog.get_or_none(ReconciliationLog.id == run_id)
    if run is None:
        return False
    duration = int((now - run.started_at).total_seconds() * 1000)
    count = (
        ReconciliationLog.update(
            status="failed", message=message, errors=1, completed_at=now, duration=max(0, duration)
        )
        .where((ReconciliationLog.id == run_id) & (ReconciliationLog.status == "running"))
        .execute()
    )
    if count:
        logger.warning("Run %d failed: %s", run_id, message)
    return bool(count)


def get_running_run(run_id: int) -> ReconciliationLog | None:
    """Return the run if it is still running; log at info and return None otherwise."""
    run = ReconciliationLog.get_or_none(ReconciliationLog.id == run_id)
    if run is None or run.status != "running":
        logger.info("Run %s is not running (%s); nothing to do.", run_id, run and run.status)
        return None
    return run
