"""Upserting reservations by stays_reservation_id and recording each one's outcome once."""

from __future__ import annotations

import logging

from psycopg2.extras import execute_values

from app.errors import MalformedReservationError
from app.stays.records import FIELD_NAMES, ReservationRecord, parse_reservation
from models import database_proxy

logger = logging.getLogger(__name__)

# The record's fields are the table's column names.
COLUMNS = FIELD_NAMES
UPDATED_COLUMNS = [c for c in COLUMNS if c not in ("stays_reservation_id", "guest_name")]

# The WHERE clause makes an unchanged record write nothing, so it returns no row. xmax = 0
# marks an inserted row: PostgreSQL sets xmax on a row version that replaced another.
UPSERT_SQL = f"""
INSERT INTO reservations ({", ".join(COLUMNS)}, content_hash, created_at, updated_at)
VALUES %s
ON CONFLICT (stays_reservation_id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in UPDATED_COLUMNS)},
    guest_name = COALESCE(EXCLUDED.guest_name, reservations.guest_name),
    content_hash = EXCLUDED.content_hash,
    updated_at = now(),
    deleted_at = NULL
WHERE reservations.content_hash <> EXCLUDED.content_hash
   OR reservations.deleted_at IS NOT NULL
RETURNING stays_reservation_id, (xmax = 0) AS inserted
"""  # noqa: S608 - built from the constant column names only
STORED_HASHES_SQL = """
SELECT stays_reservation_id, content_hash FROM reservations
WHERE stays_reservation_id = ANY(%s) AND deleted_at IS NULL
"""
INSERT_ITEMS_SQL = """
INSERT INTO reconciliation_items (run_id, stays_reservation_id, outcome, reason, source)
VALUES %s
ON CONFLICT (run_id, stays_reservation_id) DO NOTHING
"""
UPSERT_TEMPLATE = f"({', '.join(['%s'] * (len(COLUMNS) + 1))}, now(), now())"


def upsert_reservations(records: list[ReservationRecord]) -> dict[str, str]:
    """Write the records in one statement; map each id to created, updated or unchanged.

    Rows are written in id order so that two transactions upserting overlapping pages lock
    them in the same order and cannot deadlock."""
    if not records:
        return {}
    ordered = sorted(records, key=lambda r: r.stays_reservation_id)
    hashes = {record.stays_reservation_id: record.content_hash() for record in ordered}
    cursor = database_proxy.cursor()
    cursor.execute(STORED_HASHES_SQL, (list(hashes),))
    stored = dict(cursor.fetchall())
    changed = [
        r for r in ordered if stored.get(r.stays_reservation_id) != hashes[r.stays_reservation_id]
    ]
    outcomes = {r.stays_reservation_id: "unchanged" for r in ordered}
    if not changed:
        return outcomes  # the common case of a run with no change: one read, no write

    rows = [(*record.values(), hashes[record.stays_reservation_id]) for record in changed]
    written = execute_values(
        cursor, UPSERT_SQL, rows, template=UPSERT_TEMPLATE, page_size=len(rows), fetch=True
    )
    for stays_id, inserted in written:
        outcomes[stays_id] = "created" if inserted else "updated"
    return outcomes


def record_outcomes(run_id: int, outcomes: dict[str, tuple[str, str | None]], source: str) -> None:
    """Insert the run's items {id: (outcome, reason)}; an item that exists keeps its outcome."""
    if not outcomes:
        return
    rows = [
        (run_id, key, outcome, reason, source)
        for key, (outcome, reason) in sorted(outcomes.items())
    ]
    execute_values(database_proxy.cursor(), INSERT_ITEMS_SQL, rows, page_size=len(rows))


def process_reservation(run_id: int, raw: dict, source: str = "detail") -> str:
    """Validate, upsert and record one reservation of a run; return its outcome."""
    try:
        record = parse_reservation(raw)
    except MalformedReservationError as error:
        logger.warning("Reservation %s is malformed: %s", error.stays_id, error.reason)
        record_outcomes(run_id, {error.stays_id: ("error", error.reason)}, source)
        return "error"

    with database_proxy.atomic():
        outcome = upsert_reservations([record])[record.stays_reservation_id]
        record_outcomes(run_id, {record.stays_reservation_id: (outcome, None)}, source)
    if outcome != "unchanged":
        logger.info("Reservation %s %s.", record.stays_reservation_id, outcome)
    return outcome
