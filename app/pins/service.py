"""The PIN actors' work with settings, clock and provider filled in."""

from __future__ import annotations

import dramatiq

from app import clock
from app.config import get_settings
from app.locks import get_provider
from app.pins import actions
from app.pins.dispatch import DueJob, claim_due_jobs


def send_jobs(jobs: list[DueJob]) -> None:
    """Send claimed jobs to their actors, each delayed until its run time."""
    broker = dramatiq.get_broker()
    now = clock.utc_now()
    for job in jobs:
        delay = job.delay_milliseconds(now) or None
        broker.get_actor(job.actor_name).send_with_options(args=(job.id, job.version), delay=delay)


def dispatch() -> int:
    settings = get_settings()
    jobs = claim_due_jobs(settings.PIN_DISPATCH_HORIZON_MINUTES, clock.utc_now())
    send_jobs(jobs)
    return len(jobs)


def run_generate(job_id: str, version: int) -> str:
    settings = get_settings()
    return actions.generate(
        job_id, version, get_provider(settings.LOCK_PROVIDER), settings, clock.utc_now()
    )


def run_revoke(job_id: str, version: int) -> str:
    return actions.revoke(job_id, version, get_provider(get_settings().LOCK_PROVIDER))
