"""One fetched page: classify its records in bulk and record what each needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import peewee

from app.errors import MalformedReservationError
from app.stays.records import parse_reservation, record_key
from models import (
    ReconciliationItem,
    ReconciliationLog,
    ReconciliationPage,
    Reservation,
    database_proxy,
)

logger = logging.getLogger(__name__)


@dataclass
class PageResult:
    """What the page actor sends once the page's transaction has committed."""

    pending: list[dict] = field(default_factory=list)  # raw records that need processing
    counts: dict[str, int] = field(default_factory=dict)
    last_page: bool = False


def record_page(run_id: int, skip: int, records: list, limit: int) -> PageResult:
    """Store the page's items: unchanged and malformed records get their outcome at once,
    new and changed ones are left pending for process_reservation.

    Idempotent: a redelivered page inserts nothing twice and returns every record of the
    page that still has no outcome, so a message lost after the commit is sent again."""
    classified = _classify(skip, records)
    result = PageResult(last_page=len(records) < limit)

    with database_proxy.atomic():
        rows = [
            {"run": run_id, "stays_reservation_id": key, "outcome": outcome, "reason": reason}
            for key, (outcome, reason, _raw) in classified.items()
        ]
        if rows:
            ReconciliationItem.insert_many(rows).on_conflict_ignore().execute()
        (
            ReconciliationPage.insert(run=run_id, skip=skip, item_count=len(records))
            .on_conflict_ignore()
            .execute()
        )
        if result.last_page:
            (
                ReconciliationLog.update(paging_completed_at=peewee.fn.now())
                .where(
                    (ReconciliationLog.id == run_id)
                    & ReconciliationLog.paging_completed_at.is_null()
                )
                .execute()
            )
        pending_keys = _pending_keys(run_id, [k for k, v in classified.items() if v[2] is not None])

    result.pending = [classified[key][2] for key in pending_keys]
    for outcome, _reason, _raw in classified.values():
        name = outcome or "pending"
        result.counts[name] = result.counts.get(name, 0) + 1
    return result


def _classify(skip: int, records: list) -> dict[str, tuple[str | None, str | None, dict | None]]:
    """Map each record's key to (outcome, reason, raw record if it needs processing)."""
    parsed = {}
    classified: dict[str, tuple[str | None, str | None, dict | None]] = {}
    for index, raw in enumerate(records):
        key = record_key(raw, f"skip={skip},index={index}")
        if key in classified or key in parsed:
            continue
        try:
            parsed[key] = (parse_reservation(raw), raw)
        except MalformedReservationError as error:
            logger.warning("Reservation %s is malformed: %s", key, error.reason)
            classified[key] = ("error", error.reason, None)

    stored = {}
    if parsed:
        stored = dict(
            Reservation.select(Reservation.stays_reservation_id, Reservation.content_hash)
            .where(
                Reservation.stays_reservation_id.in_(list(parsed))
                & Reservation.deleted_at.is_null()
            )
            .tuples()
        )
    for key, (record, raw) in parsed.items():
        if stored.get(key) == record.content_hash():
            classified[key] = ("unchanged", None, None)
        else:
            classified[key] = (None, None, raw)
    return classified


def _pending_keys(run_id: int, keys: list[str]) -> list[str]:
    if not keys:
        return []
    return [
        key
        for (key,) in ReconciliationItem.select(ReconciliationItem.stays_reservation_id)
        .where(
            (ReconciliationItem.run == run_id)
            & ReconciliationItem.stays_reservation_id.in_(keys)
            & ReconciliationItem.outcome.is_null()
        )
        .tuples()
    ]
