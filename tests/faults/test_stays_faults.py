"""Stays misbehaving under a whole run: slow, failing, garbled, unauthorised, shifting pages.

Each case runs the actors against the sandbox on loopback, real PostgreSQL and a broker, and
checks that nothing is lost or counted twice: the run's exact stats (from tests.ledger) and
the reservations table against the sandbox's window. Failure cases also check that the next
run, once the fault is gone, recovers everything."""

from __future__ import annotations

import dataclasses
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import peewee
import pytest

from app import clock
from app.config import get_settings, reset_settings
from app.pins.plan import job_id
from app.reconciliation import collect
from app.reconciliation.trigger import (
    FETCH_FAILED_MESSAGE,
    FETCH_RETRIES,
    get_client,
    reset_clients,
)
from app.stays.sandbox import FaultRule
from models import PinJob, ReconciliationItem, Reservation
from tests.faults.stays_checks import (
    RESERVATIONS_PATH,
    act_before_request,
    assert_failed,
    assert_success,
    assert_table_matches_window,
    client_retries,
    item_ids,
    list_requests,
    listed_item_count,
    log_records,
    malformed_ids,
    page_count,
    record_deliveries,
    record_retry_delays,
    requests_to,
    window_ids,
    window_records,
)
from tests.helpers import current_window, run_once
from tests.ledger import (
    Expected,
    expected_first_run,
    expected_no_change_run,
    expected_state_1_run,
    manifest,
)

pytestmark = pytest.mark.integration

RESERVATIONS = RESERVATIONS_PATH
DETAIL = "/booking/reservations/"  # a prefix that matches the detail view, not the list
LISTINGS = "/content/listings"
SETTINGS = "/settings/listing/"  # every listing's booking settings
HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
# More uses than a run makes, so the fault outlasts every retry.
NEVER_ENDING = 1000
# A read fault delay well above the one-second read timeout that the timeout tests set.
SLOW_SECONDS = 10
FAST_MIN_BACKOFF_MILLISECONDS = 100
# The whole run is one message plus FETCH_RETRIES retries.
DELIVERIES = list(range(FETCH_RETRIES + 1))


def html_page(path: str, status: int, times: int = 1) -> FaultRule:
    return FaultRule(path, status=status, body=HTML_PAGE, content_type="text/html", times=times)


def dropped_mid_body(times: int) -> FaultRule:
    """A response cut in half whose Content-Length promises more: the server then closes
    the connection, as a proxy that dies mid-transfer does."""
    headers = {"Content-Length": "1000000", "Connection": "close"}
    return FaultRule(RESERVATIONS, truncate=True, headers=headers, times=times)


def client_attempts() -> int:
    return get_settings().STAYS_MAX_ATTEMPTS


def use_stays_setting(monkeypatch, name: str, value: str) -> None:
    """Change one Stays setting for the rest of the test, in every worker thread's client."""
    monkeypatch.setenv(name, value)
    reset_settings()
    reset_clients()


def wait_until_idle(worker) -> None:
    """Wait for the worker's queued and delayed messages, so a retry Dramatiq scheduled after
    the run ended is delivered, and counted, before the test checks the retries."""
    worker.join()


def assert_next_run_recovers(sandbox) -> None:
    """Clear the faults and assert the next run stores the whole window with exact stats."""
    sandbox.faults.clear()
    expected = expected_first_run(window_ids(sandbox))

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)


@pytest.fixture
def fast_backoff(monkeypatch):
    """Lower the pipeline actors' Dramatiq backoff to 100 ms at first; max_retries stay."""
    import actors

    for actor in (actors.reconcile, actors.fetch_pages, actors.collect_run, actors.process_page):
        monkeypatch.setitem(actor.options, "min_backoff", FAST_MIN_BACKOFF_MILLISECONDS)


@pytest.fixture
def one_second_read_timeout(sandbox):
    """Set STAYS_READ_TIMEOUT_SECONDS=1 for the test, and restore it for the tests after."""
    previous = os.environ.get("STAYS_READ_TIMEOUT_SECONDS")
    os.environ["STAYS_READ_TIMEOUT_SECONDS"] = "1"
    reset_settings()
    reset_clients()
    yield
    if previous is None:
        del os.environ["STAYS_READ_TIMEOUT_SECONDS"]
    else:
        os.environ["STAYS_READ_TIMEOUT_SECONDS"] = previous
    reset_settings()
    reset_clients()


def test_reset_clients_reaches_worker_threads(services):
    with ThreadPoolExecutor(max_workers=1) as worker_thread:
        first = worker_thread.submit(get_client).result()
        cached = worker_thread.submit(get_client).result()
        reset_clients()
        rebuilt = worker_thread.submit(get_client).result()

    assert cached is first
    assert rebuilt is not first


# Reads that time out.


@pytest.mark.timeout(60)
def test_read_timeout_retried_then_run_succeeds(
    db, sandbox, redis_worker, one_second_read_timeout, monkeypatch, caplog
):
    expected = expected_first_run(window_ids(sandbox))
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    sandbox.faults.add(FaultRule(RESERVATIONS, delay_seconds=SLOW_SECONDS, times=2))

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)
    assert len(sandbox.faults) == 0
    assert caplog.text.count("Read timed out") == 2
    # Two timed-out reads, then every page once: a read that waited out the delay would
    # have served a page and made this 2 fewer.
    assert list_requests(sandbox) == page_count(sandbox) + 2
    assert deliveries == [0]


@pytest.mark.timeout(90)
def test_persistent_read_timeout_fails_run(
    db, sandbox, redis_worker, one_second_read_timeout, fast_backoff, monkeypatch
):
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    sandbox.faults.add(FaultRule(RESERVATIONS, delay_seconds=SLOW_SECONDS, times=NEVER_ENDING))

    failed = run_once(timeout_seconds=60)
    wait_until_idle(redis_worker)

    assert_failed(failed, FETCH_FAILED_MESSAGE)
    assert deliveries == DELIVERIES
    assert list_requests(sandbox) == len(DELIVERIES) * client_attempts()
    assert Reservation.select().count() == 0
    assert_next_run_recovers(sandbox)


# 5xx and 429.


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_retried_then_run_succeeds(
    status, db, sandbox, redis_worker, monkeypatch, caplog
):
    expected = expected_first_run(window_ids(sandbox))
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    sandbox.faults.add(FaultRule(RESERVATIONS, status=status, times=2))

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)
    retries = client_retries(caplog)
    assert len(retries) == 2
    for record in retries:
        assert str(status) in record.getMessage()
        assert RESERVATIONS in record.getMessage()
    assert list_requests(sandbox) == page_count(sandbox) + 2
    assert deliveries == [0]


def test_rate_limit_waits_retry_after(db, sandbox, redis_worker, monkeypatch, caplog):
    expected = expected_first_run(window_ids(sandbox))
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    # The client's own first two backoffs are at most 0.5 s and 1 s, so a 2.0 s wait can
    # only come from Retry-After.
    limited = FaultRule(RESERVATIONS, status=429, times=2, headers={"Retry-After": "2"})
    sandbox.faults.add(limited)

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)
    waits = [record.args[-1] for record in client_retries(caplog)]
    assert waits == [2.0, 2.0]
    assert list_requests(sandbox) == page_count(sandbox) + 2
    assert deliveries == [0]


def test_dramatiq_retries_after_client_attempts(
    db, sandbox, redis_broker, redis_worker, fast_backoff, monkeypatch
):
    expected = expected_first_run(window_ids(sandbox))
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    retried = record_retry_delays(monkeypatch, redis_broker)
    sandbox.faults.add(FaultRule(RESERVATIONS, status=503, times=client_attempts() + 1))

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)
    assert deliveries == [0, 1]
    assert [(name, retries) for name, retries, _delay in retried] == [("fetch_pages", 1)]
    assert list_requests(sandbox) == page_count(sandbox) + client_attempts() + 1


def test_error_mid_paging_resumes_paging(db, sandbox, redis_worker, fast_backoff, monkeypatch):
    expected = expected_first_run(window_ids(sandbox))
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    failing = FaultRule(RESERVATIONS, status=502, times=client_attempts())
    act_before_request(sandbox, monkeypatch, RESERVATIONS, 3, lambda: sandbox.faults.add(failing))

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)
    assert deliveries == [0, 1]
    # The retried message resumes after the pages already written, which are none, one or
    # both of the two fetched before the fault, depending on how fast they were processed.
    least = page_count(sandbox) + client_attempts()
    assert list_requests(sandbox) >= least
    assert list_requests(sandbox) <= least + 2


# Bodies that are not the JSON the API documents.


@pytest.mark.parametrize(
    ("rule", "handler", "expected_deliveries", "extra_requests"),
    [
        pytest.param(html_page(RESERVATIONS, 200), "handle_fetch", [0, 1], 1, id="html-200"),
        pytest.param(html_page(RESERVATIONS, 502, 2), "handle_fetch", [0], 2, id="html-502"),
        pytest.param(FaultRule(RESERVATIONS, truncate=True), "handle_fetch", [0, 1], 1, id="cut"),
        pytest.param(dropped_mid_body(2), "handle_fetch", [0], 2, id="dropped-mid-body"),
        pytest.param(
            FaultRule(RESERVATIONS, body='{"message": "OK"}'),
            "handle_fetch",
            [0, 1],
            1,
            id="object-not-array",
        ),
        pytest.param(html_page(LISTINGS, 200), "handle_trigger", [0, 1], 1, id="html-listings"),
        pytest.param(
            FaultRule(SETTINGS, body='"closed"'),
            "handle_trigger",
            [0, 1],
            1,
            id="settings-not-object",
        ),
    ],
)
def test_garbled_body_retried_then_run_succeeds(
    rule,
    handler,
    expected_deliveries,
    extra_requests,
    db,
    sandbox,
    redis_worker,
    fast_backoff,
    monkeypatch,
):
    expected = expected_first_run(window_ids(sandbox))
    normal_requests = {
        RESERVATIONS: page_count(sandbox),
        LISTINGS: 1,
        SETTINGS: len(sandbox.dataset.listings()),
    }[rule.path]
    deliveries = record_deliveries(monkeypatch, handler)
    sandbox.faults.add(rule)

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)
    assert item_ids(run) == window_ids(sandbox), "an item that is no listed reservation"
    assert len(sandbox.faults) == 0
    assert requests_to(sandbox, rule.path) == normal_requests + extra_requests
    assert deliveries == expected_deliveries


@pytest.mark.parametrize(
    ("rule", "handler", "named"),
    [
        pytest.param(
            html_page(RESERVATIONS, 200, NEVER_ENDING),
            "handle_fetch",
            ["not JSON", "text/html", "502 Bad Gateway"],
            id="html-200",
        ),
        pytest.param(
            FaultRule(RESERVATIONS, truncate=True, times=NEVER_ENDING),
            "handle_fetch",
            ["not JSON", "application/json"],
            id="cut",
        ),
        pytest.param(
            FaultRule(SETTINGS, body='"closed"', times=NEVER_ENDING),
            "handle_trigger",
            ["returned a str for /settings/listing/", "not the documented JSON object"],
            id="settings-not-object",
        ),
    ],
)
def test_persistent_garbled_body_named_in_failure(
    rule, handler, named, db, sandbox, redis_worker, fast_backoff, monkeypatch
):
    deliveries = record_deliveries(monkeypatch, handler)
    sandbox.faults.add(rule)

    failed = run_once(timeout_seconds=60)
    wait_until_idle(redis_worker)

    assert failed.status == "failed"
    assert failed.message.startswith(f"{FETCH_FAILED_MESSAGE}: ")
    for fragment in named:
        assert fragment in failed.message
    assert failed.errors == 1
    assert failed.created + failed.unchanged == 0
    assert deliveries == DELIVERIES
    # Each delivery stops at the first garbled body.
    assert requests_to(sandbox, rule.path) == len(DELIVERIES)
    assert_next_run_recovers(sandbox)


def _changed_ids() -> set[str]:
    """Return every _id that the sample changes between states 0 and 1."""
    return {stays_id for ids in manifest()["changes_0_to_1"].values() for stays_id in ids}


def test_cut_detail_during_deletion_check_retried(db, sandbox, redis_worker, fast_backoff, caplog):
    ids_0 = window_ids(sandbox)
    run_once()
    sandbox.dataset.set_state(1)
    # Move one untouched stay past the window: the collector re-reads it by id, and that
    # detail read, unlike the 404 of a deleted stay, has a body to cut.
    moved_id = sorted(ids_0 & window_ids(sandbox) - malformed_ids() - _changed_ids())[0]
    moved = sandbox.dataset.reservation(moved_id)
    check_in = current_window().end + timedelta(days=30)
    moved["checkInDate"] = check_in.isoformat()
    moved["checkOutDate"] = (check_in + timedelta(days=2)).isoformat()
    sandbox.dataset.upsert_reservation(moved)
    ledger = expected_state_1_run(ids_0, window_ids(sandbox))
    expected = dataclasses.replace(ledger, updated=ledger.updated + 1)
    sandbox.faults.add(FaultRule(DETAIL + moved_id, truncate=True))

    run = run_once()

    assert_success(run, expected)
    assert_table_matches_window(sandbox)
    assert Reservation.get(Reservation.stays_reservation_id == moved_id).check_in_date == check_in
    assert len(sandbox.faults) == 0
    # The collector that read the cut body raised it for Dramatiq to retry. Its retry, or
    # another collector message of the run, then read the stay in full.
    warnings = log_records(caplog, "app.reconciliation.trigger", logging.WARNING)
    assert len(warnings) == 1
    assert "not JSON" in warnings[0].getMessage()
    assert sandbox.request_counter.counts()[DETAIL + moved_id] >= 2


# 401.


def test_wrong_credentials_fail_run_at_once(db, sandbox, redis_broker, redis_worker, monkeypatch):
    use_stays_setting(monkeypatch, "STAYS_CLIENT_SECRET", "not-the-secret")
    deliveries = record_deliveries(monkeypatch, "handle_trigger")
    retried = record_retry_delays(monkeypatch, redis_broker)

    failed = run_once()
    wait_until_idle(redis_worker)

    assert failed.status == "failed"
    assert "(401)" in failed.message
    assert "Check STAYS_CLIENT_ID and STAYS_CLIENT_SECRET" in failed.message
    assert "not-the-secret" not in failed.message
    assert failed.errors == 1
    assert sandbox.request_counter.counts() == {LISTINGS: 1}
    assert deliveries == [0]
    assert retried == []

    use_stays_setting(monkeypatch, "STAYS_CLIENT_SECRET", "sandbox")
    assert_next_run_recovers(sandbox)


def test_401_on_reservations_fails_at_once(db, sandbox, redis_broker, redis_worker, monkeypatch):
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    retried = record_retry_delays(monkeypatch, redis_broker)
    sandbox.faults.add(FaultRule(RESERVATIONS, status=401))

    failed = run_once()
    wait_until_idle(redis_worker)

    assert failed.status == "failed"
    assert "Check STAYS_CLIENT_ID and STAYS_CLIENT_SECRET" in failed.message
    assert failed.errors == 1
    assert failed.created == 0
    assert list_requests(sandbox) == 1
    assert deliveries == [0]
    assert retried == []
    assert Reservation.select().count() == 0
    assert_next_run_recovers(sandbox)


# Stays unreachable through every retry.


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(FaultRule(RESERVATIONS, status=503, times=NEVER_ENDING), id="503"),
        pytest.param(dropped_mid_body(NEVER_ENDING), id="dropped-mid-body"),
    ],
)
def test_unreachable_stays_fails_after_retries(
    rule, db, sandbox, redis_broker, redis_worker, fast_backoff, monkeypatch
):
    deliveries = record_deliveries(monkeypatch, "handle_fetch")
    retried = record_retry_delays(monkeypatch, redis_broker)
    sandbox.faults.add(rule)

    failed = run_once(timeout_seconds=60)
    wait_until_idle(redis_worker)

    assert_failed(failed, FETCH_FAILED_MESSAGE)
    assert deliveries == DELIVERIES
    assert [(name, retries) for name, retries, _delay in retried] == [
        ("fetch_pages", retries) for retries in DELIVERIES[1:]
    ]
    for _name, retries, delay in retried:
        # Dramatiq waits min_backoff * 2 ** (retries - 1), times a jitter from 1 to 2.
        shortest = FAST_MIN_BACKOFF_MILLISECONDS * 2 ** (retries - 1)
        assert shortest <= delay <= 2 * shortest, (retries, delay)
    assert list_requests(sandbox) == len(DELIVERIES) * client_attempts()
    assert Reservation.select().count() == 0
    assert_next_run_recovers(sandbox)


# Pages that shift while the run reads them.


def _copy_as_new(record: dict, stays_id: str, short_id: str) -> dict:
    copy = {key: value for key, value in record.items() if key != "partnerCode"}
    return {**copy, "_id": stays_id, "id": short_id}


def test_records_inserted_while_paging_count_once(db, sandbox, stub_worker, monkeypatch):
    served = window_records(sandbox)
    ids = {record["_id"] for record in served}
    sources = [record for record in served if record["_id"] not in malformed_ids()]
    behind = _copy_as_new(sources[0], "0000000000000000000000a1", "NEWBEHIND")
    ahead = _copy_as_new(sources[1], "0000000000000000000000a2", "NEWAHEAD")
    stored_order = [record["_id"] for record in sandbox.dataset.reservations()]
    ahead_position = stored_order.index(served[250]["_id"])

    def insert_behind_and_ahead():
        sandbox.dataset.upsert_reservation(ahead, position=ahead_position)
        sandbox.dataset.upsert_reservation(behind, position=0)

    act_before_request(sandbox, monkeypatch, RESERVATIONS, 2, insert_behind_and_ahead)

    first = run_once()

    # The record inserted at the top came after page 1 was read, so no page of this run
    # listed it, and it pushed the last record of page 1 onto page 2 as well.
    assert_success(first, expected_first_run(ids | {ahead["_id"]}))
    assert item_ids(first) == ids | {ahead["_id"]}
    assert listed_item_count(first) == len(ids) + 2
    assert Reservation.get_or_none(Reservation.stays_reservation_id == behind["_id"]) is None

    second = run_once()

    errors = len(ids & malformed_ids())
    assert_success(
        second,
        Expected(created=1, updated=0, deleted=0, errors=errors, unchanged=len(ids) + 1 - errors),
    )
    assert item_ids(second) == window_ids(sandbox)
    assert_table_matches_window(sandbox)


def test_deletion_while_paging_rereads_shifted(db, sandbox, stub_worker, monkeypatch):
    ids = window_ids(sandbox)
    errors = len(ids & malformed_ids())
    run_once()
    served = window_records(sandbox)
    deleted = next(r["_id"] for r in served[:100] if r["_id"] not in malformed_ids())
    shifted = served[100]["_id"]
    assert shifted not in malformed_ids()
    act_before_request(
        sandbox, monkeypatch, RESERVATIONS, 2, lambda: sandbox.dataset.delete_reservation(deleted)
    )

    second = run_once()

    # Page 1 was read before the deletion, so the deleted record still counts as listed.
    # The first record of page 2 moved onto page 1: paging missed it and the collector
    # re-read it by id.
    assert_success(second, expected_no_change_run(ids))
    assert listed_item_count(second) == len(ids) - 1
    item = ReconciliationItem.get(
        (ReconciliationItem.run == second.id) & (ReconciliationItem.stays_reservation_id == shifted)
    )
    assert item.source == "detail"
    assert item.outcome == "unchanged"

    third = run_once()

    assert_success(
        third,
        Expected(created=0, updated=0, deleted=1, errors=errors, unchanged=len(ids) - 1 - errors),
    )
    assert_table_matches_window(sandbox)


# Malformed reservations.


def test_malformed_records_counted_as_errors(db, sandbox, redis_worker):
    ids = window_ids(sandbox)
    malformed = ids & malformed_ids()
    assert len(malformed) > 1

    run = run_once()

    assert_success(run, expected_first_run(ids))
    assert run.errors == len(malformed)
    assert run.message == f"{len(malformed)} reservations failed"
    errors = list(
        ReconciliationItem.select().where(
            (ReconciliationItem.run == run.id) & (ReconciliationItem.outcome == "error")
        )
    )
    assert {item.stays_reservation_id for item in errors} == malformed
    assert all(item.reason for item in errors)
    assert_table_matches_window(sandbox)


# A failing orphan sweep.

GONE_ID = "0000000000000000000000b1"  # a stay whose reservation row no longer exists
CANCELED_ID = "0000000000000000000000b2"  # a stay cancelled in Stays, outside the window


def _store_orphaned_jobs() -> set[str]:
    """Store scheduled PIN jobs for a vanished and a cancelled stay; return their ids."""
    window = current_window()
    check_in = window.start - timedelta(days=40)
    Reservation.create(
        stays_reservation_id=CANCELED_ID,
        short_id="CANCELED",
        stays_listing_id="0000000000000000000000c1",
        type="canceled",
        check_in_date=check_in,
        check_out_date=check_in + timedelta(days=3),
        content_hash="stored-before-the-test",
        created_at=clock.utc_now(),
        updated_at=clock.utc_now(),
    )
    run_at = clock.utc_now() + timedelta(days=30)
    jobs = set()
    for stays_id in (GONE_ID, CANCELED_ID):
        for kind in ("generate", "revoke"):
            jobs.add(job_id(kind, stays_id))
            PinJob.create(
                id=job_id(kind, stays_id), stays_reservation_id=stays_id, kind=kind, run_at=run_at
            )
    return jobs


def _job_statuses(jobs: set[str]) -> set[str]:
    return {job.status for job in PinJob.select().where(PinJob.id.in_(list(jobs)))}


def test_failed_orphan_sweep_redone_next_run(db, sandbox, stub_worker, monkeypatch, caplog):
    ids = window_ids(sandbox)
    jobs = _store_orphaned_jobs()
    sweep = collect.orphaned_reservation_ids
    sweep_fails = True

    def failing_sweep():
        if sweep_fails:
            raise peewee.OperationalError("server closed the connection unexpectedly")
        return sweep()

    monkeypatch.setattr(collect, "orphaned_reservation_ids", failing_sweep)

    first = run_once()

    assert_success(first, expected_first_run(ids))
    assert first.orphaned == 0
    logged = log_records(caplog, "app.reconciliation.collect", logging.ERROR)
    assert len(logged) == 1
    assert isinstance(logged[0].exc_info[1], peewee.OperationalError)
    assert _job_statuses(jobs) == {"scheduled"}

    sweep_fails = False
    second = run_once()

    assert_success(second, expected_no_change_run(ids))
    assert second.orphaned == len(jobs)
    assert _job_statuses(jobs) == {"cancelled"}
    assert_table_matches_window(sandbox)
