"""Property: whatever happens to the reservations in Stays and to the messages in between
(duplicated, reordered, delayed, or dropped when a run is interrupted), one clean run leaves
the database equal to the sandbox's window and the PIN jobs equal to the plan computed
from scratch."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import clock
from app.config import get_settings
from app.pins import service
from app.pins.jobs import vanished_stay
from app.pins.plan import StayFacts, desired_run_times
from app.reconciliation import trigger
from app.reconciliation.listings import import_listing_config
from app.stays.records import parse_reservation
from models import AccessCode, PinJob, Reservation, database_proxy
from tests.conftest import TABLES
from tests.helpers import current_window
from tests.ledger import ids_in_window, manifest

pytestmark = pytest.mark.integration

LISTINGS = [
    "4283fefc63f0cd0e873a0000",
    "5d84016e51c6b36d6f3c9f0a",
    "6a4ad683cbf721245568a8ba",
    "87835b92558589eaff309cad",
]
OPERATIONS = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 10_000)),
    st.tuples(st.just("dates"), st.integers(0, 10_000), st.integers(-20, 20)),
    st.tuples(st.just("cancel"), st.integers(0, 10_000)),
    st.tuples(st.just("reactivate"), st.integers(0, 10_000)),
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("move"), st.integers(0, 10_000), st.integers(0, len(LISTINGS) - 1)),
    st.tuples(st.just("run"), st.integers(0, 2**32 - 1)),
)


class MessageLog:
    """Stands in for the broker: keeps sent messages so a test decides when, in what order
    and how often each is delivered."""

    def __init__(self):
        self.pending: list[tuple[str, tuple]] = []

    def send(self, actor_name: str, *args, delay=None) -> None:
        self.pending.append((actor_name, args))

    def send_jobs(self, jobs) -> None:
        for job in jobs:
            self.pending.append((job.actor_name, (job.id, job.version)))

    @staticmethod
    def deliver(actor_name: str, args: tuple) -> None:
        handlers = {
            "reconcile": trigger.handle_trigger,
            "fetch_pages": trigger.handle_fetch,
            "process_page": trigger.handle_page,
            "collect_run": trigger.handle_collect,
            "dispatch_pin_jobs": service.dispatch,
            "generate_pin": service.run_generate,
            "revoke_pin": service.run_revoke,
        }
        handlers[actor_name](*args)

    def run_chaotically(self, seed: int) -> None:
        """Deliver in random order, sometimes twice, and maybe stop half-way (interrupted)."""
        chance = random.Random(seed)
        self.pending = [("reconcile", (trigger.manual_trigger_key(),))]
        stop_after = chance.choice([None, chance.randint(1, 12)])
        delivered = 0
        while self.pending and delivered < 400:
            if stop_after is not None and delivered >= stop_after:
                self.pending.clear()  # the worker died: every message in flight is lost
                return
            name, args = self.pending.pop(chance.randrange(len(self.pending)))
            if chance.random() < 0.3:
                self.pending.append((name, args))  # delivered again later
            self.deliver(name, args)
            delivered += 1
        self.pending.clear()

    def run_cleanly(self) -> None:
        self.pending = [("reconcile", (trigger.manual_trigger_key(),))]
        for _ in range(2000):
            if not self.pending:
                return
            name, args = self.pending.pop(0)
            self.deliver(name, args)
        raise AssertionError("the clean run did not finish within 2000 messages")


def apply(operation: tuple, dataset, created: list[dict]) -> None:
    name, number, *rest = operation
    records = dataset.reservations()
    if name == "create":
        template = records[number % len(records)]
        record = {**template, "_id": f"{0xFEED << 80 | number:024x}", "id": f"PT{number:05d}Q"}
        dataset.upsert_reservation(record)
        created.append(record)
        return
    if not records:
        return
    record = records[number % len(records)]
    if name == "dates":
        shift = timedelta(days=rest[0])
        for field in ("checkInDate", "checkOutDate"):
            record[field] = (_date(record[field]) + shift).isoformat()
    elif name == "cancel":
        record["type"] = "canceled"
    elif name == "reactivate":
        record["type"] = "booked"
    elif name == "move":
        record["_idlisting"] = LISTINGS[rest[0]]
    elif name == "delete":
        dataset.delete_reservation(record["_id"])
        return
    dataset.upsert_reservation(record)


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def assert_database_matches(sandbox) -> None:
    window = current_window()
    listed = ids_in_window(sandbox.base_url, window.start, window.end)
    by_id = {r["_id"]: r for r in sandbox.dataset.reservations()}
    stored = {r.stays_reservation_id: r for r in Reservation.select()}
    live = {key for key, row in stored.items() if row.deleted_at is None}
    in_window = {
        key
        for key in live
        if stored[key].check_in_date <= window.end and stored[key].check_out_date >= window.start
    }

    assert in_window == listed
    for key in listed:
        expected = parse_reservation(by_id[key])
        row = stored[key]
        assert row.type == expected.type, key
        assert row.check_in_date == expected.check_in_date, key
        assert row.check_out_date == expected.check_out_date, key
        assert row.stays_listing_id == expected.stays_listing_id, key
    for key in live - in_window:
        assert key in by_id, f"{key} vanished from Stays but is not marked deleted"


def assert_jobs_match_plan() -> None:
    settings = get_settings()
    now = clock.utc_now()
    cursor = database_proxy.execute_sql(
        """
        SELECT r.stays_reservation_id, r.type, r.deleted_at IS NOT NULL, r.check_in_date,
               r.check_in_time, r.check_out_date, r.check_out_time, r.stays_listing_id,
               COALESCE(l.timezone, %s), l.lock_id, l.check_in_time, l.check_out_time
        FROM reservations r LEFT JOIN listings l USING (stays_listing_id)
        """,
        (settings.DEFAULT_TIMEZONE,),
    )
    facts = {row[0]: StayFacts(*row) for row in cursor.fetchall()}
    jobs: dict[str, dict[str, PinJob]] = {}
    for job in PinJob.select():
        jobs.setdefault(job.stays_reservation_id, {})[job.kind] = job
    active_codes = {
        code.stays_reservation_id
        for code in AccessCode.select().where(AccessCode.status == "active")
    }

    for stays_id in set(facts) | set(jobs):
        stay = facts.get(stays_id) or vanished_stay(stays_id)
        desired = desired_run_times(
            stay, settings.PIN_LEAD_MINUTES, settings.PIN_REVOKE_AFTER_MINUTES, now
        )
        stored = jobs.get(stays_id, {})
        if desired:
            for kind, run_at in desired.items():
                assert kind in stored, f"{stays_id} lacks its {kind} job"
                assert stored[kind].status != "cancelled", f"{stored[kind].id} is cancelled"
                assert stored[kind].run_at == run_at, f"{stored[kind].id} runs at the wrong time"
            continue
        generate = stored.get("generate")
        assert generate is None or generate.status not in ("scheduled", "enqueued"), stays_id
        revoke = stored.get("revoke")
        if stays_id in active_codes:
            assert revoke is not None and revoke.run_at <= now, f"{stays_id} keeps its PIN"
        else:
            assert revoke is None or revoke.status not in ("scheduled", "enqueued"), stays_id


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
def test_clean_run_converges_after_chaos(services, sandbox, monkeypatch, operations):
    check_convergence(services, sandbox, monkeypatch, operations)


@pytest.mark.soak
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=30))
def test_clean_run_converges_after_chaos_soak(services, sandbox, monkeypatch, operations):
    check_convergence(services, sandbox, monkeypatch, operations)


def check_convergence(services, sandbox, monkeypatch, operations) -> None:
    database_proxy.execute_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    sandbox.dataset.set_state(0)
    malformed = set(manifest()["malformed_ids"])
    window = current_window()
    listed = ids_in_window(sandbox.base_url, window.start, window.end)
    keep = [r for r in sandbox.dataset.reservations() if r["_id"] in listed - malformed]
    sandbox.dataset.replace_reservations(keep[:150])
    from importlib import resources

    config = resources.files("app.stays").joinpath("sample/listing-config.json")
    with resources.as_file(config) as path:
        import_listing_config(path)

    messages = MessageLog()
    monkeypatch.setattr(trigger, "send", messages.send)
    monkeypatch.setattr(trigger, "send_due_jobs", messages.send_jobs)
    monkeypatch.setattr(service, "send_jobs", messages.send_jobs)
    start = clock.utc_now()
    minutes = iter(range(0, 100_000, 61))  # each run starts after the previous one went stale
    monkeypatch.setattr(clock, "utc_now", lambda: start + timedelta(minutes=current[0]))
    current = [next(minutes)]

    messages.run_cleanly()  # the service has been running: the window is stored already
    created: list[dict] = []
    for operation in operations:
        if operation[0] == "run":
            current[0] = next(minutes)
            messages.run_chaotically(operation[1])
        else:
            apply(operation, sandbox.dataset, created)

    current[0] = next(minutes)
    messages.run_cleanly()

    assert_database_matches(sandbox)
    assert_jobs_match_plan()
