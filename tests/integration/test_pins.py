"""PIN jobs and codes on the sample data, through the real pipeline and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from app import clock
from app.pins import service
from app.reconciliation.listings import import_listing_config
from models import AccessCode, PinJob, Reservation
from tests.helpers import current_window, run_once
from tests.ledger import ids_in_window, manifest

pytestmark = pytest.mark.integration

SAMPLE = resources.files("app.stays").joinpath("sample")


@pytest.fixture
def listings(db):
    with resources.as_file(SAMPLE.joinpath("listing-config.json")) as path:
        import_listing_config(path)


def _sample(name: str) -> dict:
    return json.loads(SAMPLE.joinpath(name).read_text())


def expected_pin_stays(records: list[dict], listed: set[str], now: datetime) -> set[str]:
    """Stays that should have PIN jobs, computed from the raw sample: confirmed, well formed,
    listed in the window, and not yet past check-out + 24 h in the listing's zone."""
    zones = {key: value["timezone"] for key, value in _sample("listing-config.json").items()}
    defaults = _sample("listing-booking-settings.json")
    malformed = set(manifest()["malformed_ids"])
    expected = set()
    for record in records:
        stays_id = record["_id"]
        if stays_id in malformed or stays_id not in listed:
            continue
        if record["type"] not in ("booked", "contract"):
            continue
        listing = record["_idlisting"]
        time_text = record.get("checkOutTime") or defaults[listing]["checkOutTime"]
        local = datetime.fromisoformat(f"{record['checkOutDate']}T{time_text}")
        check_out = local.replace(tzinfo=ZoneInfo(zones[listing]))
        if check_out + timedelta(hours=24) > now:
            expected.add(stays_id)
    return expected


def jobs_by_stay() -> dict[str, dict[str, PinJob]]:
    jobs: dict[str, dict[str, PinJob]] = {}
    for job in PinJob.select():
        jobs.setdefault(job.stays_reservation_id, {})[job.kind] = job
    return jobs


def test_state_0_gives_each_confirmed_stay_two_jobs(listings, sandbox, stub_worker):
    window = current_window()
    listed = ids_in_window(sandbox.base_url, window.start, window.end)

    run = run_once()

    expected = expected_pin_stays(sandbox.dataset.reservations(), listed, clock.utc_now())
    jobs = jobs_by_stay()
    assert set(jobs) == expected
    for stays_id in expected:
        assert set(jobs[stays_id]) == {"generate", "revoke"}, stays_id
        assert jobs[stays_id]["generate"].id == f"gen-{stays_id}"
        assert jobs[stays_id]["revoke"].id == f"rev-{stays_id}"
        assert jobs[stays_id]["generate"].run_at < jobs[stays_id]["revoke"].run_at
    assert run.pins_scheduled == 2 * len(expected)


def test_state_1_changes_reach_jobs_by_id(listings, sandbox, stub_worker):
    run_once()
    before = {job.id: job for job in PinJob.select()}
    sandbox.dataset.set_state(1)
    run_once()
    after = {job.id: job for job in PinJob.select()}
    changes = manifest()["changes_0_to_1"]

    for stays_id in changes["canceled"] + changes["deleted"]:
        generate = after.get(f"gen-{stays_id}")
        if f"gen-{stays_id}" not in before:
            continue
        assert generate.status in ("cancelled", "done"), stays_id
        revoke = after[f"rev-{stays_id}"]
        active = AccessCode.select().where(
            (AccessCode.stays_reservation_id == stays_id) & (AccessCode.status == "active")
        )
        assert revoke.status in ("cancelled", "done", "scheduled", "enqueued"), stays_id
        if revoke.status == "cancelled":
            assert not active.exists(), stays_id

    for stays_id in changes["rescheduled"]:
        moved = 0
        for prefix in ("gen", "rev"):
            old, new = before.get(f"{prefix}-{stays_id}"), after.get(f"{prefix}-{stays_id}")
            if old is None:
                continue
            # A job moves (same id, version + 1) exactly when its run time changed.
            if new.run_at != old.run_at:
                moved += 1
                assert new.version == old.version + 1, new.id
            else:
                assert new.version == old.version, new.id
        if f"gen-{stays_id}" in before:
            assert moved >= 1, stays_id

    for stays_id in changes["reactivated"]:
        reservation = Reservation.get(Reservation.stays_reservation_id == stays_id)
        assert reservation.type == "booked"
        assert after[f"gen-{stays_id}"].status in ("scheduled", "enqueued", "done")
        assert after[f"rev-{stays_id}"].status in ("scheduled", "enqueued")

    for stays_id in changes["guests_changed"] + changes["price_changed"]:
        for prefix in ("gen", "rev"):
            old, new = before.get(f"{prefix}-{stays_id}"), after.get(f"{prefix}-{stays_id}")
            assert (old is None) == (new is None), stays_id
            if old is not None:
                assert new.version == old.version, stays_id
                assert new.run_at == old.run_at, stays_id


def test_cancel_then_reactivate_restores_jobs(listings, sandbox, stub_worker):
    run_once()
    stays_id = next(
        job.stays_reservation_id for job in PinJob.select().where(PinJob.status == "scheduled")
    )
    record = sandbox.dataset.reservation(stays_id)

    sandbox.dataset.upsert_reservation({**record, "type": "canceled"})
    run_once()
    cancelled = PinJob.get_by_id(f"gen-{stays_id}")
    sandbox.dataset.upsert_reservation({**record, "type": "booked"})
    run_once()
    restored = PinJob.get_by_id(f"gen-{stays_id}")

    assert cancelled.status == "cancelled"
    assert cancelled.version == 2
    assert restored.status in ("scheduled", "enqueued")
    assert restored.version == 3


def test_moved_listing_moves_code_to_new_lock(listings, sandbox, stub_worker):
    stays_id = manifest()["changes_0_to_1"]["moved_listing"][0]
    record = sandbox.dataset.reservation(stays_id)
    now = clock.utc_now()
    today = now.date()
    stay = {
        **record,
        "checkInDate": today.isoformat(),
        "checkInTime": "00:00",
        "checkOutDate": (today + timedelta(days=3)).isoformat(),
    }
    sandbox.dataset.upsert_reservation(stay)
    run_once()
    _wait_for_jobs_done(f"gen-{stays_id}")
    first = AccessCode.get(AccessCode.stays_reservation_id == stays_id)

    new_listing = "aecac22ae386fb856967b282"
    sandbox.dataset.upsert_reservation({**stay, "_idlisting": new_listing})
    run_once()
    _wait_for_jobs_done(f"gen-{stays_id}")
    codes = list(
        AccessCode.select()
        .where(AccessCode.stays_reservation_id == stays_id)
        .order_by(AccessCode.id)
    )

    assert first.lock_id == "lock-f03"
    assert [c.status for c in codes] == ["revoked", "active"]
    assert codes[1].lock_id == "lock-f11"
    assert codes[1].code == first.code  # the guest keeps the digits
    assert PinJob.get_by_id(f"gen-{stays_id}").version == 2


def test_rescheduled_stay_keeps_its_digits(listings, sandbox, stub_worker):
    stays_id = manifest()["changes_0_to_1"]["rescheduled"][0]
    record = sandbox.dataset.reservation(stays_id)
    today = clock.utc_now().date()
    stay = {
        **record,
        "type": "booked",
        "checkInDate": today.isoformat(),
        "checkInTime": "00:00",
        "checkOutDate": (today + timedelta(days=2)).isoformat(),
    }
    sandbox.dataset.upsert_reservation(stay)
    run_once()
    _wait_for_jobs_done(f"gen-{stays_id}")
    first = AccessCode.get(AccessCode.stays_reservation_id == stays_id)

    later = (today + timedelta(days=5)).isoformat()
    sandbox.dataset.upsert_reservation({**stay, "checkOutDate": later})
    run_once()
    code = AccessCode.get(AccessCode.stays_reservation_id == stays_id)
    revoke = PinJob.get_by_id(f"rev-{stays_id}")

    assert code.code == first.code
    assert code.id == first.id
    assert revoke.version == 2
    assert revoke.run_at > first.valid_until


def _future_generate_job() -> PinJob:
    """Return a generate job far enough ahead that no dispatcher sends it during the test."""
    return (
        PinJob.select()
        .where(
            (PinJob.kind == "generate")
            & (PinJob.status == "scheduled")
            & (PinJob.run_at > clock.utc_now() + timedelta(days=2))
        )
        .order_by(PinJob.run_at)
        .first()
    )


def test_same_generate_twice_concurrently_one_code(listings, sandbox, stub_worker):
    run_once()
    job = _future_generate_job()
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        barrier.wait()
        results.append(service.run_generate(job.id, job.version))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    service.run_generate(job.id, job.version)  # a third, late duplicate

    active = AccessCode.select().where(
        (AccessCode.stays_reservation_id == job.stays_reservation_id)
        & (AccessCode.status == "active")
    )
    assert sorted(results) == ["created", "ignored"]
    assert active.count() == 1
    assert PinJob.get_by_id(job.id).status == "done"


def test_old_version_message_does_nothing(listings, sandbox, stub_worker):
    run_once()
    job = _future_generate_job()
    PinJob.update(version=job.version + 1).where(PinJob.id == job.id).execute()

    outcome = service.run_generate(job.id, job.version)

    assert outcome == "ignored"
    assert (
        not AccessCode.select()
        .where(AccessCode.stays_reservation_id == job.stays_reservation_id)
        .exists()
    )
    assert PinJob.get_by_id(job.id).status == "scheduled"


def _wait_for_jobs_done(job_id: str, timeout: float = 30) -> None:
    from tests.integration.processes import wait_until

    service.dispatch()
    wait_until(
        lambda: PinJob.get_by_id(job_id).status == "done", timeout, what=f"{job_id} to be done"
    )


def test_no_code_appears_in_debug_logs(listings, sandbox, stub_worker, caplog):
    caplog.set_level("DEBUG")
    today = clock.utc_now().date()
    for record in sandbox.dataset.reservations()[:40]:
        if record["_id"] in manifest()["malformed_ids"]:
            continue
        sandbox.dataset.upsert_reservation(
            {
                **record,
                "type": "booked",
                "checkInDate": today.isoformat(),
                "checkOutDate": (today + timedelta(days=2)).isoformat(),
            }
        )
    run_once()
    service.dispatch()
    from tests.integration.processes import wait_until

    wait_until(lambda: AccessCode.select().count() >= 20, 30, what="codes to be created")
    sandbox.dataset.set_state(1)
    run_once()

    codes = {code for (code,) in AccessCode.select(AccessCode.code).tuples()}
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert len(codes) >= 20
    # A code counts as leaked where it appears alone, not inside a longer id or number,
    # because the logged reservation data contains hex ids and long partner codes.
    leaked = [code for code in codes if re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", text)]
    assert leaked == []
