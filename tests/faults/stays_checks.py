"""Checks and hooks for the Stays fault tests.

The sandbox's window is read in-process, so the test's own reads neither count as requests
nor use up an armed fault. Expected stats come from tests.ledger, and the reservations
table is compared with the raw records, not through the reconciler's parser."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from decimal import Decimal

from dramatiq.middleware import CurrentMessage

from app.reconciliation import trigger
from app.stays.sandbox import RESERVATION_TYPES, ReservationQuery
from models import ReconciliationItem, ReconciliationPage, Reservation
from tests.helpers import current_window
from tests.ledger import Expected, manifest

RESERVATIONS_PATH = "/booking/reservations"


def malformed_ids() -> set[str]:
    return set(manifest()["malformed_ids"])


def window_records(sandbox) -> list[dict]:
    """Return the list views the sandbox serves for the run's window, in served order."""
    window = current_window()
    query = ReservationQuery(window.start, window.end, "included", frozenset(RESERVATION_TYPES))
    every_record = max(1, sandbox.dataset.reservation_count())
    return sandbox.dataset.list_reservations(query, 0, every_record)


def window_ids(sandbox) -> set[str]:
    return {record["_id"] for record in window_records(sandbox)}


def list_requests(sandbox) -> int:
    """Return how many pages of /booking/reservations the sandbox received."""
    return sandbox.request_counter.counts().get(RESERVATIONS_PATH, 0)


def requests_to(sandbox, path: str) -> int:
    """Return how many requests the sandbox received for path, or under it if path ends
    with a slash."""
    counts = sandbox.request_counter.counts()
    if not path.endswith("/"):
        return counts.get(path, 0)
    return sum(count for api_path, count in counts.items() if api_path.startswith(path))


def log_records(caplog, logger_name: str, level: int) -> list[logging.LogRecord]:
    """Return the captured records of one logger at one level, from every thread."""
    return [
        record
        for record in caplog.records
        if record.name == logger_name and record.levelno == level
    ]


def client_retries(caplog) -> list[logging.LogRecord]:
    """Return the Stays client's records of a failed call that it retries. Each record's
    last argument is the wait in seconds."""
    return log_records(caplog, "app.stays.client", logging.WARNING)


def page_count(sandbox) -> int:
    """Return how many pages of 100 a run needs for the sandbox's current window."""
    return len(window_records(sandbox)) // 100 + 1


def assert_success(run, expected: Expected) -> None:
    """Assert the run succeeded with exactly the expected stats."""
    assert run.status == "success", run.message
    assert expected.matches(run) == {}, run.stats()
    assert run.fetched == run.created + run.updated + run.unchanged + run.errors, run.stats()


def assert_failed(run, message: str) -> None:
    """Assert the run failed with this message, one error and nothing counted as processed."""
    assert run.status == "failed", run.stats()
    assert run.message == message
    assert run.errors == 1
    assert run.created + run.updated + run.unchanged + run.deleted == 0, run.stats()


def item_ids(run) -> set[str]:
    """Return the reservation ids that got an outcome in the run, each counted once."""
    query = ReconciliationItem.select(ReconciliationItem.stays_reservation_id).where(
        ReconciliationItem.run == run.id
    )
    return {stays_id for (stays_id,) in query.tuples()}


def listed_item_count(run) -> int:
    """Return the number of records the run's pages carried, repeats included."""
    pages = ReconciliationPage.select().where(ReconciliationPage.run == run.id)
    return sum(page.item_count for page in pages)


def _record_values(record: dict) -> tuple:
    price = record.get("price") or {}
    total = price.get("_f_total")
    return (
        record["id"],
        record["_idlisting"],
        record["type"],
        record["checkInDate"],
        record.get("checkInTime") or None,
        record["checkOutDate"],
        record.get("checkOutTime") or None,
        record.get("guests"),
        None if total is None else Decimal(str(total)).quantize(Decimal("0.01")),
        price.get("currency"),
    )


def _row_values(row: Reservation) -> tuple:
    return (
        row.short_id,
        row.stays_listing_id,
        row.type,
        row.check_in_date.isoformat(),
        row.check_in_time,
        row.check_out_date.isoformat(),
        row.check_out_time,
        row.guests,
        row.price_total,
        row.currency,
    )


def assert_table_matches_window(sandbox) -> None:
    """Assert the live rows whose stay overlaps the window are exactly the well-formed
    records the sandbox lists for it, each row holding its record's values."""
    window = current_window()
    expected = {
        record["_id"]: record
        for record in window_records(sandbox)
        if record["_id"] not in malformed_ids()
    }
    rows = list(
        Reservation.select().where(
            Reservation.deleted_at.is_null()
            & (Reservation.check_in_date <= window.end)
            & (Reservation.check_out_date >= window.start)
        )
    )
    stored = {row.stays_reservation_id: row for row in rows}

    assert len(stored) == len(rows)
    assert sorted(set(expected) - set(stored)) == [], "listed in Stays but not stored"
    assert sorted(set(stored) - set(expected)) == [], "stored but not listed in Stays"
    for stays_id, record in expected.items():
        assert _row_values(stored[stays_id]) == _record_values(record), stays_id


def act_before_request(sandbox, monkeypatch, path: str, number: int, action: Callable) -> None:
    """Call action() once, when the sandbox has counted its number-th request for exactly
    path (1-based) and before it looks up a fault for that request or serves it."""
    lock = threading.Lock()
    seen = 0
    take_fault = sandbox.faults.take

    def act_then_take_fault(api_path: str):
        nonlocal seen
        if api_path == path:
            with lock:
                seen += 1
                due = seen == number
            if due:
                action()
        return take_fault(api_path)

    monkeypatch.setattr(sandbox.faults, "take", act_then_take_fault)


def record_deliveries(monkeypatch, handler_name: str) -> list[int]:
    """Wrap one handler of app.reconciliation.trigger and return a list that receives, for
    each message the handler runs, the number of times Dramatiq had retried that message."""
    retries: list[int] = []
    handler = getattr(trigger, handler_name)

    def recording_handler(*args):
        message = CurrentMessage.get_current_message()
        retries.append(message.options.get("retries", 0))
        return handler(*args)

    monkeypatch.setattr(trigger, handler_name, recording_handler)
    return retries


def record_retry_delays(monkeypatch, broker) -> list[tuple[str, int, int]]:
    """Return a list that receives (actor name, retries so far, delay in ms) for every
    message that Dramatiq's Retries middleware enqueues again.

    The worker enqueues a delayed message a second time, without a delay, once it is due.
    That second enqueue is left out."""
    retried: list[tuple[str, int, int]] = []
    enqueue = broker.enqueue

    def recording_enqueue(message, *, delay=None):
        retries = message.options.get("retries", 0)
        if retries and delay is not None:
            retried.append((message.actor_name, retries, delay))
        return enqueue(message, delay=delay)

    monkeypatch.setattr(broker, "enqueue", recording_enqueue)
    return retried
