"""The Procfile's worker and clock commands as separate processes on the machine's (or the
embedded) PostgreSQL and Redis: scheduled ticks, exact stats, and a worker killed mid-run."""

from __future__ import annotations

import pytest

from app.runs_report import send_trigger, wait_for_run
from models import ReconciliationLog, Reservation
from tests.helpers import current_window
from tests.integration.processes import wait_until
from tests.ledger import (
    expected_first_run,
    expected_no_change_run,
    expected_state_1_run,
    ids_in_window,
    manifest,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def process_env(services, sandbox, redis_broker):
    database_url, redis_url = services
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STAYS_API_URL": sandbox.base_url,
        "STAYS_CLIENT_ID": "sandbox",
        "STAYS_CLIENT_SECRET": "sandbox",
        "RECONCILE_CRON": "* * * * *",
        "PYTHONUNBUFFERED": "1",
    }


def test_tick_then_three_runs_with_two_workers(db, sandbox, process_env, started):
    workers = [started("worker", process_env) for _ in range(2)]
    clock = started("clock", process_env)

    tick_run = wait_until(
        lambda: ReconciliationLog.get_or_none(
            ReconciliationLog.trigger_key.startswith("schedule:")
            & (ReconciliationLog.status != "running")
        ),
        timeout=150,
        what="the first scheduled run to end",
    )
    clock.stop()
    tick_rows = list(
        ReconciliationLog.select().where(ReconciliationLog.trigger_key == tick_run.trigger_key)
    )
    assert tick_run.status == "success", tick_run.message
    assert [r.status for r in tick_rows] == ["success"]

    window = current_window()
    ids_0 = ids_in_window(sandbox.base_url, window.start, window.end)
    assert expected_first_run(ids_0).matches(tick_run) == {}
    second = wait_for_run(send_trigger(), 120)
    sandbox.dataset.set_state(1)
    ids_1 = ids_in_window(sandbox.base_url, window.start, window.end)
    third = wait_for_run(send_trigger(), 120)

    assert expected_no_change_run(ids_0).matches(second) == {}
    assert expected_state_1_run(ids_0, ids_1).matches(third) == {}
    assert all(w.process.poll() is None for w in workers), workers[0].output()[-2000:]


def test_worker_killed_mid_run_loses_nothing(db, sandbox, process_env, started):
    big = _many_reservations(sandbox, 3000)
    victim = started("worker", process_env)
    key = send_trigger()

    wait_until(
        lambda: Reservation.select().count() >= 300, timeout=60, what="the run to be under way"
    )
    victim.kill()
    partial = Reservation.select().count()
    started("worker", process_env)
    run = wait_for_run(key, 240)

    assert partial < big
    print(f"Killed at {partial} of {big}; run {run.id} {run.status}: {run.stats()}.")
    if run.status == "success":
        assert run.created == big
        assert run.fetched == big
        assert run.errors == 0
    else:
        after = wait_for_run(send_trigger(), 240)
        assert after.status == "success"
    stored = {r for (r,) in Reservation.select(Reservation.stays_reservation_id).tuples()}
    assert stored == {r["_id"] for r in sandbox.dataset.reservations()}


def _many_reservations(sandbox, count: int) -> int:
    """Serve count well-formed copies of the sample's first booked stay, each with its own _id."""
    template = next(
        r
        for r in sandbox.dataset.reservations()
        if r["type"] == "booked" and r["_id"] not in manifest()["malformed_ids"]
    )
    window = current_window()
    records = []
    for number in range(count):
        record = dict(template)
        record["_id"] = f"{number:024x}"
        record["id"] = f"BK{number:05d}"
        record["checkInDate"] = window.start.isoformat()
        record["checkOutDate"] = window.end.isoformat()
        records.append(record)
    sandbox.dataset.replace_reservations(records)
    return count
