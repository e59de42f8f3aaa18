"""The PIN dispatcher on real Redis: a bounded broker, and nothing lost to a FLUSHALL."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import redis

from app import clock
from app.config import get_settings
from app.pins import dispatch, service
from models import AccessCode, PinJob
from tests.helpers import run_once
from tests.integration.processes import wait_until

pytestmark = pytest.mark.integration

LISTING = "4283fefc63f0cd0e873a0000"  # SP01, America/Sao_Paulo, lock-sp01 in the sample


@pytest.fixture
def listings(db):
    from importlib import resources

    from app.reconciliation.listings import import_listing_config

    config = resources.files("app.stays").joinpath("sample/listing-config.json")
    with resources.as_file(config) as path:
        import_listing_config(path)


def booked_stay(number: int, check_in_local) -> dict:
    check_out = check_in_local + timedelta(days=2)
    return {
        "_id": f"{0xD15 << 80 | number:024x}",
        "id": f"DP{number:04d}X",
        "creationDate": "2026-11-01",
        "checkInDate": check_in_local.date().isoformat(),
        "checkInTime": check_in_local.strftime("%H:%M"),
        "checkOutDate": check_out.date().isoformat(),
        "checkOutTime": "11:00",
        "_idlisting": LISTING,
        "type": "booked",
        "guests": 2,
    }


def queued_pin_messages(redis_url: str) -> int:
    """Count the PIN actors' messages Redis holds, ready or delayed."""
    client = redis.Redis.from_url(redis_url)
    return client.hlen("dramatiq:pins.msgs") + client.hlen("dramatiq:pins.DQ.msgs")


def test_flushall_loses_no_due_pin(listings, sandbox, services, redis_worker, monkeypatch):
    _, redis_url = services
    zone = ZoneInfo("America/Sao_Paulo")
    started = clock.utc_now()
    # Check-in 2 h 5 min from now: generate_at is 5 min ahead, inside the 15 min horizon.
    check_in = (started + timedelta(hours=2, minutes=5)).astimezone(zone).replace(second=0)
    stays = [booked_stay(n, check_in) for n in range(5)]
    sandbox.dataset.replace_reservations(stays)

    run_once()
    wait_until(
        lambda: PinJob.select().where(PinJob.status == "enqueued").count() == 5,
        30,
        what="the dispatcher to send the five generate jobs",
    )
    held = queued_pin_messages(redis_url)
    redis.Redis.from_url(redis_url).flushall()
    flushed_at = clock.utc_now()

    # The clock moves past run_at + the lost-message grace; the next tick re-sends.
    run_at = max(job.run_at for job in PinJob.select().where(PinJob.kind == "generate"))
    tick = run_at + timedelta(minutes=dispatch.LOST_AFTER_MINUTES, seconds=1)
    monkeypatch.setattr(clock, "utc_now", lambda: tick)
    service.dispatch()
    wait_until(lambda: AccessCode.select().count() == 5, 30, what="the five PINs")
    service.dispatch()  # a later tick finds nothing more to send

    settings = get_settings()
    limit = timedelta(minutes=1 + settings.PIN_DISPATCH_HORIZON_MINUTES)
    assert held == 5
    assert tick - flushed_at <= limit
    for stay in stays:
        codes = AccessCode.select().where(AccessCode.stays_reservation_id == stay["_id"])
        assert [c.status for c in codes] == ["active"], stay["_id"]
    assert (
        PinJob.select().where((PinJob.kind == "generate") & (PinJob.status == "done")).count() == 5
    )


def test_redis_holds_only_jobs_in_horizon(listings, sandbox, services, redis_worker):
    _, redis_url = services
    zone = ZoneInfo("America/Sao_Paulo")
    now = clock.utc_now()
    stays = []
    for number in range(400):
        # One stay every 20 hours over the next 333 days; the first starts within the horizon.
        check_in = now + timedelta(hours=2, minutes=3) + timedelta(hours=20 * number)
        stays.append(booked_stay(number, check_in.astimezone(zone)))
    sandbox.dataset.replace_reservations(stays)

    run_once()
    redis_worker.stop()  # the messages stay in Redis, where they can be counted
    service.dispatch()

    horizon = now + timedelta(minutes=get_settings().PIN_DISPATCH_HORIZON_MINUTES)
    due = PinJob.select().where(PinJob.run_at <= horizon).count()
    assert PinJob.select().count() == 800
    assert 1 <= due < 10
    assert queued_pin_messages(redis_url) == due


def test_two_dispatchers_never_send_a_job_twice(services, listings, sandbox, stub_worker):
    import threading
    import time

    import psycopg2

    zone = ZoneInfo("America/Sao_Paulo")
    now = clock.utc_now()
    stays = [
        booked_stay(n, (now + timedelta(hours=3, days=2 + n)).astimezone(zone)) for n in range(60)
    ]
    sandbox.dataset.replace_reservations(stays)
    run_once()
    # Make every generate job due now, as if the clock had reached them all at once.
    PinJob.update(run_at=now, status="scheduled").where(PinJob.kind == "generate").execute()
    parameters = {
        "horizon": now + timedelta(minutes=15),
        "lost": now - timedelta(minutes=2),
        "limit": dispatch.MAX_JOBS_PER_DISPATCH,
    }
    first, second = psycopg2.connect(services[0]), psycopg2.connect(services[0])
    claimed: dict[str, list[str]] = {}

    def claim(name: str, connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute(dispatch.CLAIM_SQL, parameters)
            claimed[name] = [row[0] for row in cursor.fetchall()]

    # The first dispatcher claims and has not committed when the second one runs.
    claim("first", first)
    other = threading.Thread(target=lambda: (claim("second", second), second.commit()))
    other.start()
    time.sleep(0.5)
    first.commit()
    other.join(10)
    first.close()
    second.close()

    every = claimed["first"] + claimed["second"]
    assert len(claimed["first"]) == 60
    assert len(every) == len(set(every))
