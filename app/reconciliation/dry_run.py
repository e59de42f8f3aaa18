"""`reconcile --dry-run`: what a run would change, computed without writing anything."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from app.errors import MalformedReservationError
from app.pins.jobs import plan_pin_jobs, vanished_stay
from app.pins.plan import StayFacts
from app.reconciliation.runs import window_for
from app.stays.client import StaysClient
from app.stays.records import ReservationRecord, parse_reservation, record_key
from models import Listing, Reservation

logger = logging.getLogger(__name__)


MAX_IDS_SHOWN = 50


@dataclass
class RunPlan:
    window: tuple
    reservations: dict[str, list[str]] = field(default_factory=dict)  # outcome -> ids
    pin_jobs: dict[str, list[str]] = field(default_factory=dict)  # action -> job ids

    def summary(self) -> str:
        lines = [f"Dry run for {self.window[0]} to {self.window[1]}; nothing was written."]
        lines.append("Reservations:")
        for outcome in ("create", "update", "delete", "error", "unchanged"):
            lines.append(_line(outcome, self.reservations.get(outcome, []), outcome != "unchanged"))
        lines.append("PIN jobs:")
        for action in ("schedule", "restore", "move", "cancel"):
            lines.append(_line(action, self.pin_jobs.get(action, []), True))
        return "\n".join(lines)


def _line(name: str, ids: list[str], show_ids: bool) -> str:
    line = f"  {name}: {len(ids)}"
    if show_ids and ids:
        shown = ", ".join(sorted(ids)[:MAX_IDS_SHOWN])
        more = f" and {len(ids) - MAX_IDS_SHOWN} more" if len(ids) > MAX_IDS_SHOWN else ""
        line += f" ({shown}{more})"
    return line


def plan_run(client: StaysClient, settings, today, now: datetime) -> RunPlan:
    window = window_for(today, settings.RECONCILE_LOOKBACK_DAYS, settings.RECONCILE_HORIZON_DAYS)
    plan = RunPlan((window.start, window.end))
    outcomes: dict[str, str] = {}
    records: dict[str, ReservationRecord] = {}
    for index, raw in enumerate(client.iter_reservations(window)):
        key = record_key(raw, f"index={index}")
        try:
            records[key] = parse_reservation(raw)
        except MalformedReservationError as error:
            outcomes[key] = "error"
            logger.warning("Reservation %s is malformed: %s", key, error.reason)

    stored = dict(
        Reservation.select(Reservation.stays_reservation_id, Reservation.content_hash)
        .where(Reservation.deleted_at.is_null())
        .tuples()
    )
    for key, record in records.items():
        if key not in stored:
            outcomes[key] = "create"
        else:
            outcomes[key] = "unchanged" if stored[key] == record.content_hash() else "update"

    deleted = _deleted_in_window(client, window, set(outcomes))
    outcomes.update({key: "delete" for key in deleted})
    for key, outcome in outcomes.items():
        plan.reservations.setdefault(outcome, []).append(key)

    facts = _facts(records, settings.DEFAULT_TIMEZONE)
    facts.update({key: vanished_stay(key) for key in deleted})
    changes = plan_pin_jobs(list(facts), settings, now, facts=facts)
    for change in changes:
        plan.pin_jobs.setdefault(change.action, []).append(change.job_id)
    return plan


def _deleted_in_window(client: StaysClient, window, listed: set[str]) -> list[str]:
    candidates = (
        Reservation.select(Reservation.stays_reservation_id)
        .where(
            Reservation.deleted_at.is_null()
            & (Reservation.check_in_date <= window.end)
            & (Reservation.check_out_date >= window.start)
        )
        .tuples()
    )
    return [
        key for (key,) in candidates if key not in listed and client.get_reservation(key) is None
    ]


def _facts(records: dict[str, ReservationRecord], default_timezone: str) -> dict[str, StayFacts]:
    listings = {listing.stays_listing_id: listing for listing in Listing.select()}
    facts = {}
    for key, record in records.items():
        listing = listings.get(record.stays_listing_id)
        facts[key] = StayFacts(
            key,
            record.type,
            False,
            record.check_in_date,
            record.check_in_time,
            record.check_out_date,
            record.check_out_time,
            record.stays_listing_id,
            listing.timezone if listing else default_timezone,
            listing.lock_id if listing else None,
            listing.check_in_time if listing else None,
            listing.check_out_time if listing else None,
        )
    return facts
