"""PIN job planning: the jobs a reservation should have, and the changes to the stored jobs.

Pure functions: the same inputs give the same plan, so a run, a dry run and a test computing
the plan from scratch all agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.pins.schedule import pin_window

CONFIRMED_TYPES = frozenset({"booked", "contract"})
KINDS = ("generate", "revoke")
ACTIVE = frozenset({"scheduled", "enqueued"})


@dataclass(frozen=True)
class StayFacts:
    """The facts of a reservation and its listing that planning reads."""

    stays_reservation_id: str
    type: str
    deleted: bool
    check_in_date: object
    check_in_time: str | None
    check_out_date: object
    check_out_time: str | None
    stays_listing_id: str
    timezone: str
    lock_id: str | None
    listing_check_in_time: str | None
    listing_check_out_time: str | None


@dataclass(frozen=True)
class StoredJob:
    id: str
    kind: str
    run_at: datetime
    status: str
    version: int


@dataclass(frozen=True)
class JobChange:
    """One write to pin_jobs: action is schedule, move, restore or cancel."""

    action: str
    job_id: str
    stays_reservation_id: str
    kind: str
    run_at: datetime | None


def job_id(kind: str, stays_id: str) -> str:
    return f"{'gen' if kind == 'generate' else 'rev'}-{stays_id}"


def desired_run_times(
    stay: StayFacts, lead_minutes: int, revoke_after_minutes: int, now: datetime
) -> dict[str, datetime]:
    """Return {kind: run_at} for a stay that should have a PIN, or {} for one that should not.

    A stay first seen after its generate time gets its PIN at once, because its run_at stays
    in the past and the job is due. A stay whose revoke time has passed gets no jobs."""
    if stay.deleted or stay.type not in CONFIRMED_TYPES:
        return {}
    window = pin_window(
        stay.check_in_date,
        stay.check_in_time,
        stay.check_out_date,
        stay.check_out_time,
        stay.timezone,
        stay.listing_check_in_time,
        stay.listing_check_out_time,
        lead_minutes,
        revoke_after_minutes,
    )
    if window.revoke_at <= now:
        return {}
    return {"generate": window.generate_at, "revoke": window.revoke_at}


def plan_changes(
    stay: StayFacts,
    stored: dict[str, StoredJob],
    has_active_code: bool,
    lock_of_active_code: str | None,
    desired: dict[str, datetime],
    now: datetime,
) -> list[JobChange]:
    """Compare the stored jobs of one stay with the desired ones and list the changes."""
    stays_id = stay.stays_reservation_id
    changes: list[JobChange] = []
    if desired:
        for kind, run_at in desired.items():
            job = stored.get(kind)
            identifier = job_id(kind, stays_id)
            if job is None:
                changes.append(JobChange("schedule", identifier, stays_id, kind, run_at))
            elif job.status == "cancelled":
                changes.append(JobChange("restore", identifier, stays_id, kind, run_at))
            elif (
                _needs_new_code(kind, job, stored, has_active_code)
                or job.run_at != run_at
                or _lock_moved(kind, job, has_active_code, lock_of_active_code, stay.lock_id)
            ):
                changes.append(JobChange("move", identifier, stays_id, kind, run_at))
        return changes

    # No PIN wanted: cancel what is pending; an active code is revoked at once.
    generate = stored.get("generate")
    revoke = stored.get("revoke")
    if generate is not None and generate.status in ACTIVE:
        changes.append(JobChange("cancel", generate.id, stays_id, "generate", None))
    if has_active_code:
        if revoke is None:
            changes.append(
                JobChange("schedule", job_id("revoke", stays_id), stays_id, "revoke", now)
            )
        elif revoke.status != "done" or revoke.run_at > now:
            if revoke.status in ACTIVE and revoke.run_at <= now:
                return changes  # already due: the dispatcher sends it
            changes.append(JobChange("move", revoke.id, stays_id, "revoke", now))
    elif revoke is not None and revoke.status in ACTIVE:
        changes.append(JobChange("cancel", revoke.id, stays_id, "revoke", None))
    return changes


def _needs_new_code(
    kind: str, job: StoredJob, stored: dict[str, StoredJob], has_active_code: bool
) -> bool:
    """Tell whether a stay extended after its PIN was revoked needs its PIN again."""
    revoke = stored.get("revoke")
    return (
        kind == "generate"
        and job.status == "done"
        and not has_active_code
        and revoke is not None
        and revoke.status == "done"
    )


def _lock_moved(
    kind: str, job: StoredJob, has_active_code: bool, code_lock: str | None, lock: str | None
) -> bool:
    """Tell whether a delivered code sits on another lock than the stay's listing now has."""
    return kind == "generate" and has_active_code and code_lock != lock
