"""The run protocol as the actors drive it: trigger, pages, collector.

Each handler commits its database work before it sends the messages that the work
justifies, and each is safe to run twice for the same message."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import dramatiq
from dramatiq.middleware import CurrentMessage

from app.config import get_settings
from app.errors import StaysAuthenticationError, StaysError, StaysRequestError
from app.reconciliation.collect import detect_deletions, finalize_run, is_ready
from app.reconciliation.listings import sync_listings
from app.reconciliation.pages import record_page
from app.reconciliation.runs import fail_run, get_running_run, start_run, utc_now, window_for
from app.stays.client import PAGE_LIMIT, StaysClient, Window

logger = logging.getLogger(__name__)

FETCH_RETRIES = 3
FETCH_FAILED_MESSAGE = "Failed to fetch from Stays API"
COLLECT_POLL_MILLISECONDS = 250

_clients = threading.local()


def get_client() -> StaysClient:
    """Return this thread's Stays client (a requests session is not shared across threads)."""
    client = getattr(_clients, "client", None)
    if client is None:
        client = _clients.client = StaysClient.from_settings(get_settings())
    return client


def reset_clients() -> None:
    _clients.__dict__.clear()


def manual_trigger_key() -> str:
    return f"manual:{uuid.uuid4()}"


def scheduled_trigger_key() -> str:
    """Key a scheduled trigger by the minute its tick was enqueued, so two schedulers firing
    the same tick start one run."""
    message = CurrentMessage.get_current_message()
    millis = message.message_timestamp if message else None
    when = datetime.fromtimestamp(millis / 1000, timezone.utc) if millis else utc_now()
    return "schedule:" + when.strftime("%Y-%m-%dT%H:%MZ")


def send(actor_name: str, *args, delay: int | None = None) -> None:
    dramatiq.get_broker().get_actor(actor_name).send_with_options(args=args, delay=delay)


def _retries_so_far() -> int:
    message = CurrentMessage.get_current_message()
    return message.options.get("retries", 0) if message else FETCH_RETRIES


def _retry_or_fail(run_id: int, error: StaysError) -> None:
    """Raise again so Dramatiq retries with backoff, until the retries are spent: then the
    run is failed. A 401 or another 4xx fails at once because a retry cannot fix it."""
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
    fail_run(run_id, FETCH_FAILED_MESSAGE)


def today_for_account() -> date:
    return datetime.now(ZoneInfo(get_settings().DEFAULT_TIMEZONE)).date()


def handle_trigger(trigger_key: str | None) -> int | None:
    """Start a run for the trigger and send its first page; return the run id, if any."""
    settings = get_settings()
    key = trigger_key or scheduled_trigger_key()
    window = window_for(
        today_for_account(), settings.RECONCILE_LOOKBACK_DAYS, settings.RECONCILE_HORIZON_DAYS
    )
    started = start_run(key, window, settings.RECONCILE_STALE_MINUTES, utc_now())
    if started.run_id is None:
        return None
    try:
        sync_listings(get_client(), settings.DEFAULT_TIMEZONE)
    except StaysError as error:
        _retry_or_fail(started.run_id, error)
        return started.run_id
    send("fetch_page", started.run_id, 0)
    return started.run_id


def handle_page(run_id: int, skip: int) -> None:
    run = get_running_run(run_id)
    if run is None:
        return
    window = Window(run.window_from, run.window_to)
    try:
        records = get_client().list_reservations_page(window, skip, PAGE_LIMIT)
    except StaysError as error:
        _retry_or_fail(run_id, error)
        return

    result = record_page(run_id, skip, records, PAGE_LIMIT)
    logger.debug("Run %d page at %d: %s.", run_id, skip, result.counts)
    for raw in result.pending:
        send("process_reservation", run_id, raw)
    if result.last_page:
        send("collect_run", run_id)
    else:
        send("fetch_page", run_id, skip + len(records))


def handle_collect(run_id: int) -> None:
    settings = get_settings()
    run = get_running_run(run_id)
    if run is None:
        return
    if not is_ready(run, settings.RECONCILE_COLLECT_TIMEOUT_MINUTES, utc_now()):
        send("collect_run", run_id, delay=COLLECT_POLL_MILLISECONDS)
        return
    try:
        detect_deletions(run, get_client())
    except StaysError as error:
        _retry_or_fail(run_id, error)
        return
    finalize_run(run_id)
