"""Process and infrastructure faults: killed, terminated and restarted pieces. After each,
the runs converge: exact stats, or a failed run followed by one that leaves the database
equal to the sandbox's window."""

from __future__ import annotations

import os
import signal
import threading
import time

import psycopg2
import pytest

from app.runs_report import RunTimeoutError, send_trigger, wait_for_run
from models import ReconciliationLog, Reservation, database_proxy
from tests.helpers import run_once
from tests.integration.processes import wait_until
from tests.integration.test_procfile_processes import _many_reservations

pytestmark = pytest.mark.integration

BIG = 3000


def stored_ids() -> set[str]:
    query = Reservation.select(Reservation.stays_reservation_id).where(
        Reservation.deleted_at.is_null()
    )
    return {stays_id for (stays_id,) in query.tuples()}


def assert_converged(sandbox, key: str, timeout: float, retrigger_after: float = 0) -> None:
    """The trigger's run ends with exact stats, or it fails (or stalls until stale) and the
    next run leaves the database equal to the sandbox."""
    try:
        run = wait_for_run(key, timeout)
    except RunTimeoutError:
        run = None
    expected = {r["_id"] for r in sandbox.dataset.reservations()}
    if run is not None and run.status == "success":
        print(f"Run {run.id} finished with exact stats: {run.stats()}.")
        assert run.created == len(expected), run.stats()
        assert run.errors == 0, run.message
    else:
        print(f"Run ended {run.status if run else 'stalled'}; a new run follows.")
        time.sleep(retrigger_after)
        after = wait_for_run(send_trigger(), 180)
        assert after.status == "success", after.message
    assert stored_ids() == expected


def test_postgres_restart_mid_run(private_stack, sandbox, started):
    _many_reservations(sandbox, BIG)
    environment = private_stack.environment(sandbox.base_url)
    started("worker", environment)
    started("worker", environment)
    key = send_trigger()
    wait_until(lambda: Reservation.select().count() >= 300, 60, what="the run to be under way")

    private_stack.restart_postgres()

    assert_converged(sandbox, key, 120)


def test_redis_restart_mid_run(private_stack, sandbox, started):
    _many_reservations(sandbox, BIG)
    environment = {**private_stack.environment(sandbox.base_url), "RECONCILE_STALE_MINUTES": "1"}
    started("worker", environment)
    key = send_trigger()
    wait_until(lambda: Reservation.select().count() >= 300, 60, what="the run to be under way")

    private_stack.restart_redis()

    # Messages in flight are lost with Redis: the run may stall until it is stale (1 min).
    assert_converged(sandbox, key, 75, retrigger_after=5)


def test_worker_sigterm_twice_mid_run(private_stack, sandbox, started):
    _many_reservations(sandbox, BIG)
    environment = private_stack.environment(sandbox.base_url)
    victim = started("worker", environment)
    key = send_trigger()
    wait_until(lambda: Reservation.select().count() >= 300, 60, what="the run to be under way")

    os.killpg(victim.process.pid, signal.SIGTERM)
    time.sleep(0.3)
    os.killpg(victim.process.pid, signal.SIGTERM)  # Heroku sends SIGTERM, then again
    victim.process.wait(60)
    started("worker", environment)

    assert_converged(sandbox, key, 150)


def test_connection_killed_between_messages(db, sandbox, stub_broker, stub_worker, caplog):
    from datetime import timedelta

    from app import clock
    from models import PinJob

    first = run_once()
    connection = psycopg2.connect(os.environ["DATABASE_URL"])
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        killed = cursor.fetchone()[0]
    connection.close()

    second = run_once()
    # A PIN actor opens a transaction first thing, so that first statement must reconnect too.
    job = (
        PinJob.select()
        .where(
            (PinJob.kind == "generate")
            & (PinJob.status == "scheduled")
            & (PinJob.run_at > clock.utc_now() + timedelta(days=1))
        )
        .first()
    )
    with psycopg2.connect(os.environ["DATABASE_URL"]) as connection:
        connection.autocommit = True
        connection.cursor().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    stub_broker.get_actor("generate_pin").send(job.id, job.version)
    wait_until(lambda: PinJob.get_by_id(job.id).status != "scheduled", 20, what="the PIN job")

    failures = [r for r in caplog.records if r.levelname == "ERROR"]
    assert failures == []
    assert PinJob.get_by_id(job.id).attempts == 1
    assert killed >= 1
    assert first.status == "success"
    assert second.status == "success", second.message
    assert second.created == 0
    assert second.unchanged == first.created


def test_two_clocks_start_one_run_per_tick(private_stack, sandbox, started):
    environment = {**private_stack.environment(sandbox.base_url), "RECONCILE_CRON": "* * * * *"}
    started("worker", environment)
    # Start both clocks early in a minute, so both are up for the next tick.
    while not 2 <= time.gmtime().tm_sec <= 30:
        time.sleep(0.5)
    started("clock", environment)
    started("clock", environment)

    first = wait_until(
        lambda: ReconciliationLog.get_or_none(
            ReconciliationLog.trigger_key.startswith("schedule:")
            & (ReconciliationLog.status == "success")
        ),
        150,
        what="a scheduled run",
    )
    time.sleep(3)  # the second clock's message for the same tick has arrived by now

    rows = list(
        ReconciliationLog.select().where(ReconciliationLog.trigger_key == first.trigger_key)
    )
    assert [r.status for r in rows if r.status != "skipped"] == ["success"]
    assert len(rows) == 2
    skipped = next(r for r in rows if r.status == "skipped")
    assert "already started run" in skipped.message


def test_connections_stay_bounded_over_100_runs(private_stack, sandbox, started):
    sandbox.dataset.replace_reservations(sandbox.dataset.reservations()[:60])
    environment = private_stack.environment(sandbox.base_url)
    workers = [started("worker", environment) for _ in range(2)]
    counts: list[int] = []
    stop = threading.Event()

    def sample():
        connection = psycopg2.connect(private_stack.database_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'postgres'"
                    " AND backend_type = 'client backend'"
                )
                counts.append(cursor.fetchone()[0])
                time.sleep(0.02)
        connection.close()

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        runs = [wait_for_run(send_trigger(), 60, poll_seconds=0.02) for _ in range(100)]
    finally:
        stop.set()
        sampler.join()

    threads_per_worker = 8  # the Procfile's --threads
    # Each worker thread keeps one connection. This test process has the main thread's
    # and the sampler's.
    bound = len(workers) * threads_per_worker + 2
    assert [r.status for r in runs] == ["success"] * 100
    assert max(counts) <= bound, max(counts)
    database_proxy.close()
