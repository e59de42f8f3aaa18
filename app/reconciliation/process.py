"""Processing one reservation: upsert by stays_reservation_id and record its outcome once."""

from __future__ import annotations

import logging
from dataclasses import asdict

from app.errors import MalformedReservationError
from app.stays.records import ReservationRecord, parse_reservation
from models import ReconciliationItem, database_proxy

logger = logging.getLogger(__name__)

COLUMNS = (
    "stays_reservation_id", "short_id", "stays_listing_id", "type", "check_in_date",
    "check_in_time", "check_out_date", "check_out_time", "guest_name", "guests",
    "price_total", "currency", "partner_name",
)
UPDATED_COLUMNS = [c for c in COLUMNS if c not in ("stays_reservation_id", "guest_name")]

# The WHERE clause makes an unchanged record write nothing; xmax = 0 tells an insert from an
# update (PostgreSQL sets xmax only on a row version that replaced another).
UPSERT_SQL = f"""
INSERT INTO reservations ({", ".join(COLUMNS)}, content_hash, created_at, updated_at)
VALUES ({", ".join(["%s"] * len(COLUMNS))}, %s, now(), now())
ON CONFLICT (stays_reservation_id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in UPDATED_COLUMNS)},
    guest_name = COALESCE(EXCLUDED.guest_name, reservations.guest_name),
    content_hash = EXCLUDED.content_hash,
    updated_at = now(),
    deleted_at = NULL
WHERE reservations.content_hash <> EXCLUDED.content_hash
   OR reservations.deleted_at IS NOT NULL
RETURNING (xmax = 0) AS inserted
"""


def upsert_reservation(record: ReservationRecord) -> str:
    """Write the record and return 'created', 'updated' or 'unchanged'."""
    values = asdict(record)
    parameters = [values[c] for c in COLUMNS] + [record.content_hash()]
    cursor = database_proxy.execute_sql(UPSERT_SQL, parameters)
    row = cursor.fetchone()
    if row is None:
        return "unchanged"
    return "created" if row[0] else "updated"


def set_outcome(run_id: int, stays_id: str, outcome: str, reason: str | None = None) -> bool:
    """Record the item's outcome unless it already has one; return True if this call set it."""
    count = (
        ReconciliationItem.update(outcome=outcome, reason=reason)
        .where(
            (ReconciliationItem.run == run_id)
            & (ReconciliationItem.stays_reservation_id == stays_id)
            & ReconciliationItem.outcome.is_null()
        )
        .execute()
    )
    return bool(count)


def process_reservation(run_id: int, raw: dict) -> str:
    """Validate, upsert and record one reservation of a run; return its outcome."""
    try:
        record = parse_reservation(raw)
    except MalformedReservationError as error:
        logger.warning("Reservation %s is malformed: %s", error.stays_id, error.reason)
        set_outcome(run_id, error.stays_id, "error", error.reason)
        return "error"

    with database_proxy.atomic():
        outcome = upsert_reservation(record)
        first = set_outcome(run_id, record.stays_reservation_id, outcome)
    if first and outcome != "unchanged":
        logger.info("Reservation %s %s.", record.stays_reservation_id, outcome)
    return outcome
