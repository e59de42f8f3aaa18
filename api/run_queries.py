"""Reads of reconciliation_logs for the admin API, and their JSON form.

Every query here is served by an index of migrations/0003: the primary key, the partial
unique index on status 'running' and reconciliation_logs_started_at_idx.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import peewee

from api.responses import iso_utc
from api.schedule import describe_cron, next_run
from models import STAT_FIELDS, ReconciliationItem, ReconciliationLog

RUN_STATUSES = ("running", "success", "failed", "skipped")
FINISHED_STATUSES = ("success", "failed")
ERROR_RATE_WINDOWS = {"last24Hours": timedelta(hours=24), "last7Days": timedelta(days=7)}


def run_json(run: ReconciliationLog) -> dict:
    """Serialize a run in the documented lastRun shape: id, times, status, message, stats."""
    return {
        "id": run.id,
        "startedAt": iso_utc(run.started_at),
        "completedAt": iso_utc(run.completed_at),
        "duration": run.duration,
        "status": run.status,
        "message": run.message,
        **{name: getattr(run, name) for name in STAT_FIELDS},
    }


def history_json(run: ReconciliationLog) -> dict:
    """Serialize a history row: the lastRun shape plus the run's trigger key."""
    return {**run_json(run), "triggerKey": run.trigger_key}


def latest_run() -> ReconciliationLog | None:
    """Return the most recently started run that is not a skipped trigger."""
    return (
        ReconciliationLog.select()
        .where(ReconciliationLog.status != "skipped")
        .order_by(ReconciliationLog.started_at.desc(), ReconciliationLog.id.desc())
        .first()
    )


def running_run() -> ReconciliationLog | None:
    return ReconciliationLog.get_or_none(ReconciliationLog.status == "running")


def is_stale(run: ReconciliationLog, stale_minutes: int, now: datetime) -> bool:
    """Tell whether the next trigger will mark this running run failed and start anew."""
    return run.started_at < now - timedelta(minutes=stale_minutes)


def current_run_json(run: ReconciliationLog, stale_minutes: int, now: datetime) -> dict:
    """Describe the running run with its progress: items with an outcome out of those listed."""
    processed, listed = (
        ReconciliationItem.select(
            peewee.fn.COUNT(ReconciliationItem.outcome), peewee.fn.COUNT(peewee.SQL("*"))
        )
        .where(ReconciliationItem.run == run.id)
        .tuples()
        .get()
    )
    return {
        "id": run.id,
        "startedAt": iso_utc(run.started_at),
        "triggerKey": run.trigger_key,
        "processed": processed,
        "listed": listed,
        "pagingDone": run.paging_completed_at is not None,
        "stale": is_stale(run, stale_minutes, now),
    }


def status_json(cron: str, stale_minutes: int, now: datetime) -> dict:
    """Build the status endpoint's data: lastRun, nextRun, currentStatus and schedule."""
    last = latest_run()
    running = last if last is not None and last.status == "running" else running_run()
    return {
        "lastRun": run_json(last) if last is not None else None,
        "nextRun": iso_utc(next_run(cron, now)),
        "currentStatus": "running" if running is not None else "idle",
        "currentRun": current_run_json(running, stale_minutes, now) if running else None,
        "schedule": {"cron": cron, "description": describe_cron(cron), "timezone": "UTC"},
    }


def list_runs(
    limit: int,
    before: int | None,
    statuses: tuple[str, ...],
    trigger_key: str | None = None,
) -> list[ReconciliationLog]:
    """Return up to limit runs of the given statuses with an id below before, newest first,
    optionally only those of one trigger key."""
    query = ReconciliationLog.select().where(ReconciliationLog.status.in_(statuses))
    if before is not None:
        query = query.where(ReconciliationLog.id < before)
    if trigger_key is not None:
        query = query.where(ReconciliationLog.trigger_key == trigger_key)
    return list(query.order_by(ReconciliationLog.id.desc()).limit(limit))


def error_rates(now: datetime) -> dict:
    """Count finished runs, failed runs and item errors over the last 24 hours and 7 days.

    failureRate is failed runs over finished runs (success or failed), or None without any.
    Runs count by their start time; running and skipped rows are left out.
    """
    log = ReconciliationLog
    finished = log.status.in_(FINISHED_STATUSES)
    columns = []
    for span in ERROR_RATE_WINDOWS.values():
        since = log.started_at >= now - span
        columns += [
            peewee.fn.COUNT(peewee.SQL("*")).filter(since),
            peewee.fn.COUNT(peewee.SQL("*")).filter(since & (log.status == "failed")),
            peewee.fn.COUNT(peewee.SQL("*")).filter(since & (log.errors > 0)),
            peewee.fn.COALESCE(peewee.fn.SUM(log.errors).filter(since), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(log.fetched).filter(since), 0),
        ]
    widest = max(ERROR_RATE_WINDOWS.values())
    row = log.select(*columns).where(finished & (log.started_at >= now - widest)).tuples().get()

    rates = {}
    for index, name in enumerate(ERROR_RATE_WINDOWS):
        runs, failed, with_errors, item_errors, fetched = row[index * 5 : index * 5 + 5]
        rates[name] = {
            "finishedRuns": runs,
            "failedRuns": failed,
            "failureRate": round(failed / runs, 4) if runs else None,
            "runsWithItemErrors": with_errors,
            "itemErrors": int(item_errors),
            "fetched": int(fetched),
        }
    return rates
