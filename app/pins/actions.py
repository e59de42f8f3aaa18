"""The PIN actors' work: create, move or revoke one stay's code, once per job version."""

from __future__ import annotations

import logging
from datetime import datetime

import peewee

from app.locks import LockProvider
from app.pins.codes import new_code
from app.pins.plan import CONFIRMED_TYPES
from app.pins.schedule import pin_window
from models import AccessCode, Listing, PinJob, Reservation, database_proxy

logger = logging.getLogger(__name__)

MAX_CODE_ATTEMPTS = 5


def _claim(job_id: str, version: int, kind: str) -> PinJob | None:
    """Lock the job row; return it if this message still describes its current version."""
    job = PinJob.select().where(PinJob.id == job_id).for_update().first()
    if job is None:
        logger.info("PIN job %s is gone; nothing to do.", job_id)
        return None
    if job.kind != kind or job.version != version:
        logger.info(
            "PIN job %s message is for version %d, the job is at %d; ignored.",
            job_id,
            version,
            job.version,
        )
        return None
    if job.status not in ("scheduled", "enqueued"):
        logger.info("PIN job %s is %s; nothing to do.", job_id, job.status)
        return None
    return job


def _finish(job: PinJob, status: str = "done", error: str | None = None) -> None:
    (
        PinJob.update(
            status=status,
            last_error=error,
            completed_at=peewee.fn.now(),
            attempts=PinJob.attempts + 1,
            updated_at=peewee.fn.now(),
        )
        .where(PinJob.id == job.id)
        .execute()
    )


def generate(job_id: str, version: int, provider: LockProvider, settings, now: datetime) -> str:
    """Create the stay's code, or move an existing one to the stay's lock and window.

    Returns what happened: created, updated, moved, or a reason nothing was done."""
    with database_proxy.atomic():
        job = _claim(job_id, version, "generate")
        if job is None:
            return "ignored"
        reservation = Reservation.get_or_none(
            Reservation.stays_reservation_id == job.stays_reservation_id
        )
        if reservation is None or reservation.deleted_at or reservation.type not in CONFIRMED_TYPES:
            _finish(job, "cancelled")
            logger.info("PIN job %s cancelled: the stay is no longer confirmed.", job.id)
            return "cancelled"
        listing = Listing.get_or_none(Listing.stays_listing_id == reservation.stays_listing_id)
        if listing is None or not listing.lock_id:
            message = f"listing {reservation.stays_listing_id} has no lock configured"
            _finish(job, "failed", message)
            logger.warning("PIN job %s failed: %s.", job.id, message)
            return "failed"

        window = pin_window(
            reservation.check_in_date,
            reservation.check_in_time,
            reservation.check_out_date,
            reservation.check_out_time,
            listing.timezone,
            listing.check_in_time,
            listing.check_out_time,
            settings.PIN_LEAD_MINUTES,
            settings.PIN_REVOKE_AFTER_MINUTES,
        )
        outcome = _put_code(
            reservation.stays_reservation_id, listing.lock_id, window, provider, settings.PIN_LENGTH
        )
        _finish(job)
    logger.info(
        "PIN for reservation %s %s on lock %s.",
        reservation.stays_reservation_id,
        outcome,
        listing.lock_id,
    )
    return outcome


def _put_code(stays_id: str, lock_id: str, window, provider: LockProvider, length: int) -> str:
    active = (
        AccessCode.select()
        .where((AccessCode.stays_reservation_id == stays_id) & (AccessCode.status == "active"))
        .for_update()
        .first()
    )
    if active is not None and active.lock_id == lock_id:
        provider.update_window(lock_id, active.provider_ref, window.generate_at, window.revoke_at)
        (
            AccessCode.update(
                valid_from=window.generate_at,
                valid_until=window.revoke_at,
                updated_at=peewee.fn.now(),
            )
            .where(AccessCode.id == active.id)
            .execute()
        )
        return "updated"

    digits = None
    if active is not None:  # the stay moved to another listing: move its code to the new lock
        provider.delete_code(active.lock_id, active.provider_ref)
        _revoke_row(active)
        digits = active.code
    _create_code(stays_id, lock_id, window, provider, length, digits)
    return "moved" if active is not None else "created"


def _create_code(stays_id, lock_id, window, provider, length, digits) -> None:
    for _attempt in range(MAX_CODE_ATTEMPTS):
        taken = {
            code
            for (code,) in AccessCode.select(AccessCode.code)
            .where((AccessCode.lock_id == lock_id) & (AccessCode.status == "active"))
            .tuples()
        }
        code = digits if digits and digits not in taken else new_code(length, taken)
        try:
            with database_proxy.atomic():
                row = AccessCode.create(
                    stays_reservation_id=stays_id,
                    lock_id=lock_id,
                    code=code,
                    valid_from=window.generate_at,
                    valid_until=window.revoke_at,
                )
        except peewee.IntegrityError:
            digits = None  # another stay took these digits on this lock meanwhile
            continue
        reference = provider.create_code(
            lock_id, stays_id, code, window.generate_at, window.revoke_at
        )
        AccessCode.update(provider_ref=reference).where(AccessCode.id == row.id).execute()
        return
    raise RuntimeError(f"No free PIN on lock {lock_id} after {MAX_CODE_ATTEMPTS} attempts.")


def _revoke_row(code: AccessCode) -> None:
    (
        AccessCode.update(status="revoked", revoked_at=peewee.fn.now(), updated_at=peewee.fn.now())
        .where(AccessCode.id == code.id)
        .execute()
    )


def revoke(job_id: str, version: int, provider: LockProvider) -> str:
    """Delete the stay's active code from its lock; return revoked or why nothing was done."""
    with database_proxy.atomic():
        job = _claim(job_id, version, "revoke")
        if job is None:
            return "ignored"
        active = (
            AccessCode.select()
            .where(
                (AccessCode.stays_reservation_id == job.stays_reservation_id)
                & (AccessCode.status == "active")
            )
            .for_update()
            .first()
        )
        if active is not None:
            provider.delete_code(active.lock_id, active.provider_ref)
            _revoke_row(active)
        _finish(job)
    outcome = "revoked" if active is not None else "no active code"
    logger.info("PIN of reservation %s: %s.", job.stays_reservation_id, outcome)
    return outcome
