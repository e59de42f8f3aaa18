"""The whole run through the actors, against the sandbox, real PostgreSQL and a broker."""

from __future__ import annotations

import threading

import pytest

from models import ReconciliationItem, ReconciliationLog, Reservation
from tests.helpers import current_window, run_once
from tests.ledger import (
    expected_first_run,
    expected_no_change_run,
    expected_state_1_run,
    ids_in_window,
    manifest,
)

pytestmark = pytest.mark.integration


def _three_runs(sandbox):
    window = current_window()
    ids_0 = ids_in_window(sandbox.base_url, window.start, window.end)
    first = run_once()
    second = run_once()
    sandbox.dataset.set_state(1)
    ids_1 = ids_in_window(sandbox.base_url, window.start, window.end)
    third = run_once()
    return ids_0, ids_1, (first, second, third)


def _assert_ledger_stats(ids_0, ids_1, runs):
    first, second, third = runs
    for run in runs:
        assert run.status == "success", run.message
        assert run.fetched == run.created + run.updated + run.unchanged + run.errors
    assert expected_first_run(ids_0).matches(first) == {}
    assert expected_no_change_run(ids_0).matches(second) == {}
    assert second.created == 0
    assert second.updated == 0
    assert second.deleted == 0
    assert expected_state_1_run(ids_0, ids_1).matches(third) == {}


def test_three_runs_match_ledger_on_stub_broker(db, sandbox, stub_worker):
    ids_0, ids_1, runs = _three_runs(sandbox)

    _assert_ledger_stats(ids_0, ids_1, runs)
    assert runs[0].errors == len(set(manifest()["malformed_ids"]) & ids_0)
    assert runs[0].message == f"{runs[0].errors} reservations failed"


def test_three_runs_match_ledger_on_redis(db, sandbox, redis_worker):
    ids_0, ids_1, runs = _three_runs(sandbox)

    _assert_ledger_stats(ids_0, ids_1, runs)


def test_database_equals_sandbox_window_after_state_1(db, sandbox, stub_worker):
    run_once()
    sandbox.dataset.set_state(1)
    run_once()

    window = current_window()
    listed = ids_in_window(sandbox.base_url, window.start, window.end)
    malformed = set(manifest()["malformed_ids"])
    stored = {
        r.stays_reservation_id: r
        for r in Reservation.select().where(Reservation.deleted_at.is_null())
    }
    assert listed - malformed <= set(stored)
    by_id = {r["_id"]: r for r in sandbox.dataset.reservations()}
    for stays_id in listed - malformed:
        record = by_id[stays_id]
        row = stored[stays_id]
        assert row.type == record["type"], stays_id
        assert row.check_in_date.isoformat() == record["checkInDate"], stays_id
        assert row.stays_listing_id == record["_idlisting"], stays_id
    for stays_id in manifest()["changes_0_to_1"]["deleted"]:
        row = Reservation.get_or_none(Reservation.stays_reservation_id == stays_id)
        assert row is None or row.deleted_at is not None, stays_id


def test_malformed_records_logged_with_id_and_reason(db, sandbox, stub_worker, caplog):
    run = run_once()

    errors = list(
        ReconciliationItem.select().where(
            (ReconciliationItem.run == run.id) & (ReconciliationItem.outcome == "error")
        )
    )
    assert len(errors) == run.errors
    for item in errors:
        assert item.reason
        logged = [
            r.getMessage() for r in caplog.records if item.stays_reservation_id in r.getMessage()
        ]
        assert any(item.reason in line for line in logged), item.stays_reservation_id


def test_duplicate_process_messages_count_once(db, sandbox, stub_broker, stub_worker):
    """Every message of the run is delivered twice; the stats stay exact."""
    original_enqueue = stub_broker.enqueue

    def enqueue_twice(message, *, delay=None):
        if message.actor_name in ("process_page", "fetch_pages", "collect_run"):
            original_enqueue(message.copy(message_id=message.message_id + "-dup"), delay=delay)
        return original_enqueue(message, delay=delay)

    stub_broker.enqueue = enqueue_twice
    window = current_window()
    ids_0 = ids_in_window(sandbox.base_url, window.start, window.end)

    run = run_once()

    assert expected_first_run(ids_0).matches(run) == {}
    assert Reservation.select().count() == run.created


def test_simultaneous_triggers_start_one_run(db, sandbox, stub_worker):
    from app.reconciliation.trigger import handle_trigger, manual_trigger_key

    barrier = threading.Barrier(2)
    results = []

    def trigger():
        barrier.wait()
        results.append(handle_trigger(manual_trigger_key()))

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status for r in ReconciliationLog.select())
    assert statuses == ["running", "skipped"] or statuses == ["skipped", "success"]
    assert len([r for r in results if r is not None]) == 1
    skipped = ReconciliationLog.get(ReconciliationLog.status == "skipped")
    assert "still running" in skipped.message
