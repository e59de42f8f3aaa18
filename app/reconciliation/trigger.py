"""The run protocol as the actors drive it: trigger, pages, collector.

Each handler commits its database work before it sends the messages that the work
justifies, and each is safe to run twice for the same message."""

from __future__ import annotations

import logging
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dramatiq
from dramatiq.middleware import CurrentMessage

from app import clock
from app.config import get_settings
from app.errors import (
    StaysAuthenticationError,
    StaysError,
    StaysRequestError,
    StaysResponseError,
)
from app.pins.dispatch import DueJob
from app.reconciliation.collect import (
    detect_deletions,
    finalize_run,
    pages_missing_after_deadline,
    plan_after_collect,
)
from app.reconciliation.listings import sync_listings
from app.reconciliation.pages import (
    mark_paging_completed,
    missing_pages,
    record_page,
    recorded_prefix,
)
from app.reconciliation.runs import fail_run, get_running_run, start_run, window_for
from app.stays.client import PAGE_LIMIT, StaysClient, Window
from models import database_proxy

logger = logging.getLogger(__name__)

FETCH_RETRIES = 3
FETCH_FAILED_MESSAGE = "Failed to fetch from Stays API"
COLLECT_POLL_MILLISECONDS = 250
# The first key of the collector's advisory locks; the second is the run id.
COLLECTOR_LOCK_CLASS = 0x5354

_clients = threading.local()
# reset_clients increments this, so every thread builds a new client on its next call.
_client_generation = 0


def get_client() -> StaysClient:
    """Return this thread's Stays client (a requests session is not shared across threads)."""
    client = getattr(_clients, "client", None)
    if client is None or _clients.generation != _client_generation:
        client = StaysClient.from_settings(get_settings())
        _clients.client, _clients.generation = client, _client_generation
    return client


def reset_clients() -> None:
    """Make every thread, workers included, build its client again from the settings."""
    global _client_generation
    _client_generation += 1


def manual_trigger_key() -> str:
    return f"manual:{uuid.uuid4()}"


def scheduled_trigger_key() -> str:
    """Key a scheduled trigger by the minute its tick was enqueued, so two schedulers firing
    the same tick start one run."""
    message = CurrentMessage.get_current_message()
    scheduled_at = message.options.get("scheduled_at") if message else None
    if scheduled_at:  # periodiq's tick time, the same in every scheduler that fires it
        when = datetime.fromisoformat(scheduled_at).astimezone(UTC)
    elif message:
        when = datetime.fromtimestamp(message.message_timestamp / 1000, UTC)
    else:
        when = clock.utc_now()
    return "schedule:" + when.strftime("%Y-%m-%dT%H:%MZ")


def send(actor_name: str, *args, delay: int | None = None) -> None:
    dramatiq.get_broker().get_actor(actor_name).send_with_options(args=args, delay=delay)


def send_due_jobs(jobs: list[DueJob]) -> None:
    from app.pins.service import send_jobs

    send_jobs(jobs)


def _retries_so_far() -> int:
    message = CurrentMessage.get_current_message()
    return message.options.get("retries", 0) if message else FETCH_RETRIES


def _retry_or_fail(run_id: int, error: StaysError) -> None:
    """Raise again so Dramatiq retries with backoff, until the retries are spent: then the
    run is failed. A 401 or another 4xx fails at once because a retry cannot fix it.

    The failed run's message is FETCH_FAILED_MESSAGE, followed by what Stays sent when the
    body was not the JSON expected (an HTML error page, say)."""
    if isinstance(error, StaysAuthenticationError):
        fail_run(run_id, str(error))
        return
    if isinstance(error, StaysRequestError):
        fail_run(run_id, f"{FETCH_FAILED_MESSAGE}: {error}")
        return
    if _retries_so_far() < FETCH_RETRIES:
        logger.warning("Run %d: %s; the message will be retried.", run_id, error)
        raise error
    logger.error("Run %d: %s; giving up after %d retries.", run_id, error, FETCH_RETRIES)
    if isinstance(error, StaysResponseError):
        fail_run(run_id, f"{FETCH_FAILED_MESSAGE}: {error}")
        return
    fail_run(run_id, FETCH_FAILED_MESSAGE)


def today_for_account() -> date:
    return clock.utc_now().astimezone(ZoneInfo(get_settings().DEFAULT_TIMEZONE)).date()


def handle_trigger(trigger_key: str | None) -> int | None:
    """Start a run for the trigger and send its first page; return the run id, if any."""
    settings = get_settings()
    key = trigger_key or scheduled_trigger_key()
    window = window_for(
        today_for_account(), settings.RECONCILE_LOOKBACK_DAYS, settings.RECONCILE_HORIZON_DAYS
    )
    message = CurrentMessage.get_current_message()
    started = start_run(
        key,
        window,
        settings.RECONCILE_STALE_MINUTES,
        clock.utc_now(),
        message.message_id if message else None,
    )
    if started.run_id is None:
        return None
    try:
        sync_listings(get_client(), settings.DEFAULT_TIMEZONE)
    except StaysError as error:
        _retry_or_fail(started.run_id, error)
        return started.run_id
    send("fetch_pages", started.run_id)
    return started.run_id


def handle_fetch(run_id: int) -> None:
    """Page through the run's window, sending each page to process_page as it arrives.

    Paging in one message keeps Stays calls back to back, while the pages are written in
    parallel by other workers. A redelivered message resumes after the pages already written;
    a page sent twice is harmless because process_page is idempotent."""
    run = get_running_run(run_id)
    if run is None:
        return
    window = Window(run.window_from, run.window_to)
    skip = recorded_prefix(run_id, PAGE_LIMIT)
    pages = skip // PAGE_LIMIT
    while True:
        try:
            records = get_client().list_reservations_page(window, skip, PAGE_LIMIT)
        except StaysError as error:
            _retry_or_fail(run_id, error)
            return
        send("process_page", run_id, skip, records)
        pages += 1
        skip += len(records)
        if len(records) < PAGE_LIMIT:
            break
    mark_paging_completed(run_id, pages)
    logger.info("Run %d fetched %d page(s), %d reservations listed.", run_id, pages, skip)
    send("collect_run", run_id)


def handle_page(run_id: int, skip: int, records: list) -> None:
    if get_running_run(run_id) is None:
        return
    result = record_page(run_id, skip, records, get_settings(), clock.utc_now())
    send_due_jobs(result.due_jobs)
    logger.debug("Run %d page at %d: %s.", run_id, skip, dict(result.outcomes))

    # The page that completes the run sends the collector at once; the pager's own collector
    # message, which polls, remains the fallback.
    run = get_running_run(run_id)
    if run is not None and run.page_count is not None and not missing_pages(run, PAGE_LIMIT):
        send("collect_run", run_id)


def handle_collect(run_id: int) -> None:
    """Finalise the run, or poll again while pages are missing. Only one collector works on a
    run at a time: the pager and the last page may each send one, and the second would repeat
    the deletion re-reads and the orphan sweep."""
    with run_lock(run_id) as acquired:
        if not acquired:
            logger.info("Run %d is being collected by another worker.", run_id)
            return
        _collect(run_id)


@contextmanager
def run_lock(run_id: int):
    """Hold a session advisory lock on the run; yield False if another session holds it.
    A worker that dies releases it with its connection."""
    acquired = database_proxy.execute_sql(
        "SELECT pg_try_advisory_lock(%s, %s)", (COLLECTOR_LOCK_CLASS, run_id)
    ).fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            database_proxy.execute_sql(
                "SELECT pg_advisory_unlock(%s, %s)", (COLLECTOR_LOCK_CLASS, run_id)
            )


def _collect(run_id: int) -> None:
    settings = get_settings()
    run = get_running_run(run_id)
    if run is None:
        return
    timeout = settings.RECONCILE_COLLECT_TIMEOUT_MINUTES
    missing = pages_missing_after_deadline(run, timeout, clock.utc_now())
    if missing is None:
        send("collect_run", run_id, delay=COLLECT_POLL_MILLISECONDS)
        return
    if missing:
        fail_run(
            run_id,
            f"{len(missing)} page(s) never arrived within {timeout} minutes "
            f"(first at skip {missing[0]}); the next run reconciles them.",
        )
        return
    try:
        reread = detect_deletions(run, get_client())
    except StaysError as error:
        _retry_or_fail(run_id, error)
        return
    pins, due = plan_after_collect(reread, settings, clock.utc_now())
    if finalize_run(run_id, pins) is not None:
        send_due_jobs(due)
        send("dispatch_pin_jobs")
