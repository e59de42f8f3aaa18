"""One fetched page: validate, compare and upsert its records in bulk, in one transaction."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import peewee

from app.errors import MalformedReservationError
from app.pins.dispatch import DueJob
from app.pins.jobs import sync_pin_jobs
from app.reconciliation.process import record_outcomes, upsert_reservations
from app.stays.records import ReservationRecord, parse_reservation, record_key
from models import ReconciliationLog, ReconciliationPage, database_proxy

logger = logging.getLogger(__name__)


@dataclass
class PageResult:
    outcomes: Counter = field(default_factory=Counter)
    pins: Counter = field(default_factory=Counter)
    due_jobs: list[DueJob] = field(default_factory=list)  # to send once committed


def record_page(run_id: int, skip: int, records: list, settings, now: datetime) -> PageResult:
    """Store the page's reservations, their outcomes and their PIN jobs in one transaction.

    Idempotent: a redelivered or duplicated page writes nothing twice, because unchanged
    rows are not rewritten, an item keeps the outcome it was first given, and jobs already
    at their plan are left alone. The PIN jobs of every listed stay are planned, changed or
    not, so a change of listing time zone or lock reaches them too."""
    parsed: dict[str, ReservationRecord] = {}
    outcomes: dict[str, tuple[str, str | None]] = {}
    for index, raw in enumerate(records):
        key = record_key(raw, f"skip={skip},index={index}")
        if key in parsed or key in outcomes:
            continue  # the same record twice on one page counts once
        try:
            parsed[key] = parse_reservation(raw)
        except MalformedReservationError as error:
            logger.warning("Reservation %s is malformed: %s", key, error.reason)
            outcomes[key] = ("error", error.reason)

    result = PageResult()
    with database_proxy.atomic():
        written = upsert_reservations(list(parsed.values()))
        outcomes.update({key: (outcome, None) for key, outcome in written.items()})
        record_outcomes(run_id, outcomes, "list")
        result.pins, result.due_jobs = sync_pin_jobs(list(parsed), settings, now)
        (
            ReconciliationPage.insert(
                run=run_id,
                skip=skip,
                item_count=len(records),
                pins_scheduled=result.pins["scheduled"],
                pins_moved=result.pins["moved"],
                pins_cancelled=result.pins["cancelled"],
            )
            .on_conflict_ignore()
            .execute()
        )

    for key, outcome in written.items():
        if outcome != "unchanged":
            logger.debug("Reservation %s %s.", key, outcome)
    result.outcomes = Counter(outcome for outcome, _reason in outcomes.values())
    return result


def mark_paging_completed(run_id: int, page_count: int) -> None:
    (
        ReconciliationLog.update(paging_completed_at=peewee.fn.now(), page_count=page_count)
        .where((ReconciliationLog.id == run_id) & ReconciliationLog.paging_completed_at.is_null())
        .execute()
    )


def _recorded_skips(run_id: int) -> set[int]:
    query = ReconciliationPage.select(ReconciliationPage.skip).where(
        ReconciliationPage.run == run_id
    )
    return {skip for (skip,) in query.tuples()}


def recorded_prefix(run_id: int, limit: int) -> int:
    """Return the skip of the first page not yet written, so paging can resume there."""
    skips = _recorded_skips(run_id)
    skip = 0
    while skip in skips:
        skip += limit
    return skip


def missing_pages(run: ReconciliationLog, limit: int) -> list[int]:
    """Return the skips of the run's pages not written yet (the run's paging must be done)."""
    skips = _recorded_skips(run.id)
    return [n * limit for n in range(run.page_count or 0) if n * limit not in skips]
