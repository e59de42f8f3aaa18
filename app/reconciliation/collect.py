"""The collector: deletion detection, then the run's exact stats and final status."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

import peewee

from app import clock
from app.pins.jobs import orphaned_reservation_ids, sync_pin_jobs
from app.reconciliation.pages import missing_pages
from app.reconciliation.process import process_reservation, record_outcomes
from app.stays.client import PAGE_LIMIT, StaysClient
from models import (
    ReconciliationItem,
    ReconciliationLog,
    ReconciliationPage,
    Reservation,
    database_proxy,
)

logger = logging.getLogger(__name__)


def pages_missing_after_deadline(
    run: ReconciliationLog, timeout_minutes: int, now: datetime
) -> list[int] | None:
    """Return None while the run must wait for pages, [] when every page is recorded, or the
    skips of the pages still missing once timeout_minutes have passed since the last page."""
    if run.paging_completed_at is None:
        return None
    missing = missing_pages(run, PAGE_LIMIT)
    if not missing:
        return []
    if now < run.paging_completed_at + timedelta(minutes=timeout_minutes):
        return None
    return missing


def detect_deletions(run: ReconciliationLog, client: StaysClient) -> list[str]:
    """Re-read by id every stored reservation in the window that the run did not list.

    A 404 marks it deleted; a record that still exists (moved out of the window, or missed
    because paging shifted) is processed as if listed. Returns the ids re-read, so their PIN
    jobs can be planned."""
    seen = ReconciliationItem.select(ReconciliationItem.stays_reservation_id).where(
        ReconciliationItem.run == run.id
    )
    candidates = [
        stays_id
        for (stays_id,) in Reservation.select(Reservation.stays_reservation_id)
        .where(
            Reservation.deleted_at.is_null()
            & (Reservation.check_in_date <= run.window_to)
            & (Reservation.check_out_date >= run.window_from)
            & Reservation.stays_reservation_id.not_in(seen)
        )
        .tuples()
    ]
    for stays_id in candidates:
        detail = client.get_reservation(stays_id)
        if detail is None:
            _mark_deleted(run.id, stays_id)
        else:
            _process_detail(run.id, stays_id, detail)
    return candidates


def plan_after_collect(stays_ids: list[str], settings, now: datetime) -> tuple[Counter, list]:
    """Plan the PIN jobs of the re-read stays, then sweep orphans; return (counts, due jobs).

    The sweep cancels pending jobs whose reservation is gone or no longer confirmed, counted
    as 'orphaned'. A failing sweep is logged and skipped: the next run sweeps again."""
    with database_proxy.atomic():
        counts, due = sync_pin_jobs(stays_ids, settings, now)
    try:
        with database_proxy.atomic():
            swept, swept_due = sync_pin_jobs(orphaned_reservation_ids(), settings, now)
        due += swept_due
    except peewee.PeeweeException:
        logger.exception("The orphan sweep failed; the next run sweeps again.")
        return counts, due
    counts["orphaned"] = swept.pop("cancelled", 0)
    counts.update(swept)
    if counts["orphaned"]:
        logger.info("Cancelled %d orphaned PIN job(s).", counts["orphaned"])
    return counts, due


def _mark_deleted(run_id: int, stays_id: str) -> int:
    with database_proxy.atomic():
        (
            ReconciliationItem.insert(
                run=run_id, stays_reservation_id=stays_id, outcome="deleted", source="detail"
            )
            .on_conflict_ignore()
            .execute()
        )
        count = (
            Reservation.update(deleted_at=peewee.fn.now(), updated_at=peewee.fn.now())
            .where(
                (Reservation.stays_reservation_id == stays_id) & Reservation.deleted_at.is_null()
            )
            .execute()
        )
    if count:
        logger.info("Reservation %s deleted in Stays (404); marked deleted.", stays_id)
    return count


def _process_detail(run_id: int, stays_id: str, detail: dict) -> None:
    if not isinstance(detail, dict) or detail.get("_id") != stays_id:
        reason = "the detail view returned another or no _id"
        logger.warning("Reservation %s is malformed: %s", stays_id, reason)
        record_outcomes(run_id, {stays_id: ("error", reason)}, "detail")
        return
    process_reservation(run_id, detail, source="detail")


def finalize_run(
    run_id: int, pins: Counter | None = None, now: datetime | None = None
) -> ReconciliationLog | None:
    """Write the run's stats from its items, pages and the collector's PIN counts (pins),
    and mark it success. Returns None if the run had already ended."""
    pins = pins or Counter()
    now = now or clock.utc_now()
    with database_proxy.atomic():
        run = (
            ReconciliationLog.select()
            .where((ReconciliationLog.id == run_id) & (ReconciliationLog.status == "running"))
            .for_update()
            .get_or_none()
        )
        if run is None:
            return None
        counts = dict(
            ReconciliationItem.select(ReconciliationItem.outcome, peewee.fn.COUNT(1))
            .where(ReconciliationItem.run == run_id)
            .group_by(ReconciliationItem.outcome)
            .tuples()
        )
        stats = {
            "created": counts.get("created", 0),
            "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
            "deleted": counts.get("deleted", 0),
            "errors": counts.get("error", 0),
        }
        stats["fetched"] = (
            stats["created"] + stats["updated"] + stats["unchanged"] + stats["errors"]
        )
        page_pins = (
            ReconciliationPage.select(
                peewee.fn.COALESCE(peewee.fn.SUM(ReconciliationPage.pins_scheduled), 0),
                peewee.fn.COALESCE(peewee.fn.SUM(ReconciliationPage.pins_moved), 0),
                peewee.fn.COALESCE(peewee.fn.SUM(ReconciliationPage.pins_cancelled), 0),
            )
            .where(ReconciliationPage.run == run_id)
            .tuples()
            .get()
        )
        stats["orphaned"] = pins["orphaned"]
        stats["pins_scheduled"] = page_pins[0] + pins["scheduled"]
        stats["pins_moved"] = page_pins[1] + pins["moved"]
        stats["pins_cancelled"] = page_pins[2] + pins["cancelled"]
        errors = stats["errors"]
        message = f"{errors} reservation{'s' if errors != 1 else ''} failed" if errors else "OK"
        duration = max(0, int((now - run.started_at).total_seconds() * 1000))
        (
            ReconciliationLog.update(
                status="success", message=message, completed_at=now, duration=duration, **stats
            )
            .where(ReconciliationLog.id == run_id)
            .execute()
        )
    logger.info("Run %d finished in %d ms: %s.", run_id, duration, stats)
    return ReconciliationLog.get_by_id(run_id)
