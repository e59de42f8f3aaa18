"""Reads of pin_jobs for the admin API, joined with their reservation and listing.

access_codes is never read here, so a PIN's digits cannot reach an API response.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import peewee

from api.responses import iso_utc
from models import ACTIVE_JOB_STATUSES, Listing, PinJob, Reservation

DEFAULT_STATUSES = (*ACTIVE_JOB_STATUSES, "failed")
DUE_WINDOW = timedelta(hours=24)


def pin_jobs_query() -> peewee.ModelSelect:
    """Select PIN jobs with the reservation and listing columns the admin page shows."""
    return (
        PinJob.select(
            PinJob,
            Reservation.short_id,
            Reservation.type,
            Reservation.guest_name,
            Reservation.check_in_date,
            Reservation.check_out_date,
            Reservation.stays_listing_id,
            Reservation.deleted_at,
            Listing.name,
        )
        .join(
            Reservation,
            peewee.JOIN.LEFT_OUTER,
            on=(PinJob.stays_reservation_id == Reservation.stays_reservation_id),
            attr="reservation",
        )
        .join(
            Listing,
            peewee.JOIN.LEFT_OUTER,
            on=(Reservation.stays_listing_id == Listing.stays_listing_id),
            attr="listing",
        )
    )


def pin_job_json(job: PinJob) -> dict:
    """Describe a PIN job and its stay; the PIN itself lives in access_codes, not here."""
    reservation = getattr(job, "reservation", None)
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "runAt": iso_utc(job.run_at),
        "attempts": job.attempts,
        "version": job.version,
        "lastError": job.last_error,
        "enqueuedAt": iso_utc(job.enqueued_at),
        "completedAt": iso_utc(job.completed_at),
        "updatedAt": iso_utc(job.updated_at),
        "reservation": _reservation_json(job.stays_reservation_id, reservation),
    }


def _reservation_json(stays_id: str, reservation: Reservation | None) -> dict:
    found = reservation is not None and reservation.short_id is not None
    listing = getattr(reservation, "listing", None) if found else None
    return {
        "staysReservationId": stays_id,
        "found": found,
        "shortId": reservation.short_id if found else None,
        "type": reservation.type if found else None,
        "guestName": reservation.guest_name if found else None,
        "checkInDate": reservation.check_in_date.isoformat() if found else None,
        "checkOutDate": reservation.check_out_date.isoformat() if found else None,
        "deleted": found and reservation.deleted_at is not None,
        "listing": {
            "staysListingId": reservation.stays_listing_id if found else None,
            "name": listing.name if listing is not None else None,
        },
    }


def list_pin_jobs(
    statuses: tuple[str, ...],
    start: datetime | None,
    end: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[PinJob], int]:
    """Return one page of jobs with the statuses and start <= run_at < end, by run_at, and
    the number of jobs that match in all."""
    condition = PinJob.status.in_(statuses)
    if start is not None:
        condition &= PinJob.run_at >= start
    if end is not None:
        condition &= PinJob.run_at < end

    total = PinJob.select().where(condition).count()
    jobs = list(
        pin_jobs_query()
        .where(condition)
        .order_by(PinJob.run_at, PinJob.id)
        .limit(limit)
        .offset(offset)
    )
    return jobs, total


def pin_job_overview(now: datetime, list_limit: int) -> dict:
    """Count active jobs due within 24 hours, overdue active jobs and failed jobs.

    Also list up to list_limit jobs due within 24 hours and the list_limit most recently
    failed ones.
    """
    due_until = now + DUE_WINDOW
    active = PinJob.status.in_(ACTIVE_JOB_STATUSES)
    due_next_24_hours, overdue, failed = (
        PinJob.select(
            peewee.fn.COUNT(peewee.SQL("*")).filter(active & (PinJob.run_at >= now)),
            peewee.fn.COUNT(peewee.SQL("*")).filter(active & (PinJob.run_at < now)),
            peewee.fn.COUNT(peewee.SQL("*")).filter(PinJob.status == "failed"),
        )
        .where((active & (PinJob.run_at < due_until)) | (PinJob.status == "failed"))
        .tuples()
        .get()
    )
    upcoming = (
        pin_jobs_query()
        .where(active & (PinJob.run_at < due_until))
        .order_by(PinJob.run_at, PinJob.id)
        .limit(list_limit)
    )
    recent_failures = (
        pin_jobs_query()
        .where(PinJob.status == "failed")
        .order_by(PinJob.updated_at.desc(), PinJob.id)
        .limit(list_limit)
    )
    return {
        "dueNext24Hours": due_next_24_hours,
        "overdue": overdue,
        "failed": failed,
        "upcoming": [pin_job_json(job) for job in upcoming],
        "recentFailures": [pin_job_json(job) for job in recent_failures],
    }
