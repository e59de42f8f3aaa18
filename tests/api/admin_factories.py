"""Rows and tokens for the admin API tests."""

from __future__ import annotations

import itertools
import socket
from datetime import UTC, date, datetime, timedelta

from models import AccessCode, Listing, PinJob, ReconciliationLog, Reservation

SECRET = "test-secret-of-the-admin-api-0123456789abcdef"
_ids = itertools.count(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def closed_port() -> int:
    """Return a loopback port that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_run(**fields) -> ReconciliationLog:
    """Insert a finished successful run; fields override any column."""
    started = fields.pop("started_at", now() - timedelta(minutes=30))
    values = {
        "started_at": started,
        "created_at": started,
        "completed_at": started + timedelta(seconds=12),
        "duration": 12_000,
        "status": "success",
        "fetched": 100,
        "created": 3,
        "updated": 2,
        "unchanged": 95,
        "orphaned": 0,
        "deleted": 0,
        "errors": 0,
        "message": None,
        "trigger_key": f"schedule:{next(_ids)}",
    }
    values.update(fields)
    if values["status"] == "running":
        values.update(completed_at=None, duration=None)
    return ReconciliationLog.create(**values)


def make_listing(stays_listing_id: str = "L1", name: str = "Casa da Praia") -> Listing:
    return Listing.create(
        stays_listing_id=stays_listing_id,
        short_id=stays_listing_id,
        name=name,
        timezone="America/Sao_Paulo",
        lock_id=f"lock-{stays_listing_id}",
    )


def make_reservation(stays_id: str, **fields) -> Reservation:
    values = {
        "stays_reservation_id": stays_id,
        "short_id": f"SH{stays_id[-4:].upper()}",
        "stays_listing_id": "L1",
        "type": "booked",
        "check_in_date": date.today(),
        "check_out_date": date.today() + timedelta(days=3),
        "guest_name": "Maria Souza",
        "content_hash": "hash",
        "created_at": now(),
        "updated_at": now(),
    }
    values.update(fields)
    return Reservation.create(**values)


def make_pin_job(stays_id: str, kind: str, run_at: datetime, **fields) -> PinJob:
    prefix = "gen" if kind == "generate" else "rev"
    values = {
        "id": f"{prefix}-{stays_id}",
        "stays_reservation_id": stays_id,
        "kind": kind,
        "run_at": run_at,
        "status": "scheduled",
    }
    values.update(fields)
    return PinJob.create(**values)


def make_access_code(stays_id: str, code: str) -> AccessCode:
    return AccessCode.create(
        stays_reservation_id=stays_id,
        lock_id="lock-L1",
        code=code,
        valid_from=now(),
        valid_until=now() + timedelta(days=3),
    )
