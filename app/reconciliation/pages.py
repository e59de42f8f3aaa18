"""One fetched page: validate, compare and upsert its records in bulk, in one transaction."""

from __future__ import annotations

import logging
from collections import Counter

import peewee

from app.errors import MalformedReservationError
from app.reconciliation.process import record_outcomes, upsert_reservations
from app.stays.records import ReservationRecord, parse_reservation, record_key
from models import ReconciliationLog, ReconciliationPage, database_proxy

logger = logging.getLogger(__name__)


def record_page(run_id: int, skip: int, records: list) -> Counter:
    """Store the page's reservations and their outcomes; return the count per outcome.

    Idempotent: a redelivered or duplicated page writes nothing twice, because unchanged
    rows are not rewritten and an item keeps the outcome it was first given."""
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

    with database_proxy.atomic():
        written = upsert_reservations(list(parsed.values()))
        outcomes.update({key: (outcome, None) for key, outcome in written.items()})
        record_outcomes(run_id, outcomes, "list")
        (
            ReconciliationPage.insert(run=run_id, skip=skip, item_count=len(records))
            .on_conflict_ignore()
            .execute()
        )

    for key, outcome in written.items():
        if outcome != "unchanged":
            logger.debug("Reservation %s %s.", key, outcome)
    return Counter(outcome for outcome, _reason in outcomes.values())


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
