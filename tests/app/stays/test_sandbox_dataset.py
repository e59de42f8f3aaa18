"""SandboxDataset: date shifting, sample states and the in-process record changes."""

import json
from datetime import date, timedelta

import pytest

from app.stays.sandbox import DEFAULT_DATA_DIR, ReservationQuery, SandboxDataset

MANIFEST = json.loads((DEFAULT_DATA_DIR / "manifest.json").read_text())
REFERENCE_DATE = date.fromisoformat(MANIFEST["reference_date"])
# Written in reservations-0.json as check-in 2026-10-28, check-out 2026-10-30, created 2026-08-26.
KNOWN_ID = "b44488cc527f05ae77aff7da"
# Its checkInDate, "2027-02-30", is not a date.
INVALID_CHECK_IN_ID = "4d2c4d4f7d025f60d7d6e930"


def find(sandbox_dataset, stays_id):
    return next(record for record in sandbox_dataset.reservations() if record["_id"] == stays_id)


def test_dates_shift_by_days_since_reference_date():
    sandbox_dataset = SandboxDataset.from_directory(today=REFERENCE_DATE + timedelta(days=45))

    record = find(sandbox_dataset, KNOWN_ID)

    assert MANIFEST["reference_date"] == "2026-12-01"
    assert sandbox_dataset.shift_days == 45
    assert record["checkInDate"] == "2026-12-12"
    assert record["checkOutDate"] == "2026-12-14"
    assert record["creationDate"] == "2026-10-10"


def test_dates_shift_backwards_before_reference_date():
    sandbox_dataset = SandboxDataset.from_directory(today=REFERENCE_DATE - timedelta(days=30))

    record = find(sandbox_dataset, KNOWN_ID)

    assert record["checkInDate"] == "2026-09-28"
    assert record["checkOutDate"] == "2026-09-30"
    assert record["creationDate"] == "2026-07-27"


def test_unparseable_date_is_served_unchanged():
    sandbox_dataset = SandboxDataset.from_directory(today=REFERENCE_DATE + timedelta(days=45))

    record = find(sandbox_dataset, INVALID_CHECK_IN_ID)

    assert record["checkInDate"] == "2027-02-30"
    assert record["checkOutDate"] == "2027-10-28"  # 2027-09-13 moved by 45 days


def test_state_1_applies_the_manifest_changes(sandbox_dataset):
    changes = MANIFEST["changes_0_to_1"]

    sandbox_dataset.set_state(1)

    served = {record["_id"]: record for record in sandbox_dataset.reservations()}
    assert sandbox_dataset.state == 1
    assert len(served) == MANIFEST["reservations_1"]
    assert all(stays_id not in served for stays_id in changes["deleted"])
    assert all(stays_id in served for stays_id in changes["created"])
    assert all(served[stays_id]["type"] == "canceled" for stays_id in changes["canceled"])


def test_state_0_is_served_first(sandbox_dataset):
    assert sandbox_dataset.state == 0
    assert sandbox_dataset.reservation_count() == MANIFEST["reservations_0"]


def test_set_state_back_drops_changes(sandbox_dataset):
    sandbox_dataset.delete_reservation(KNOWN_ID)

    sandbox_dataset.set_state(0)

    assert sandbox_dataset.reservation(KNOWN_ID) is not None


@pytest.mark.parametrize("state", [2, -1, "1", True, None])
def test_unknown_state_raises_naming_it(sandbox_dataset, state):
    with pytest.raises(ValueError, match=f"State {state!r} is not available"):
        sandbox_dataset.set_state(state)


def test_replaced_records_are_served_unshifted(sandbox_dataset):
    record = {"_id": "a" * 24, "id": "AB12C", "checkInDate": "2030-01-01", "type": "booked"}

    sandbox_dataset.replace_reservations([record])

    assert sandbox_dataset.reservations() == [record]
    assert sandbox_dataset.state is None


def test_replace_copies_the_records(sandbox_dataset):
    record = {"_id": "a" * 24, "type": "booked"}

    sandbox_dataset.replace_reservations([record])
    record["type"] = "canceled"

    assert sandbox_dataset.reservations()[0]["type"] == "booked"


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"id": "AB12C"}], "index 0"),
        ([{"_id": ""}], "index 0"),
        (["not an object"], "index 0"),
        ([{"_id": "a" * 24}, {"_id": "a" * 24}], "more than once"),
        ({"_id": "a" * 24}, "JSON array"),
    ],
)
def test_replace_rejects_invalid_records(sandbox_dataset, records, message):
    with pytest.raises(ValueError, match=message):
        sandbox_dataset.replace_reservations(records)

    assert sandbox_dataset.reservation_count() == 400


def test_upsert_replaces_in_place(sandbox_dataset):
    order = [record["_id"] for record in sandbox_dataset.reservations()]
    changed = {**find(sandbox_dataset, KNOWN_ID), "type": "canceled", "id": "ZZ99Z"}

    sandbox_dataset.upsert_reservation(changed)

    assert [record["_id"] for record in sandbox_dataset.reservations()] == order
    assert sandbox_dataset.reservation("ZZ99Z")["type"] == "canceled"
    assert sandbox_dataset.reservation("SA1031W") is None


def test_upsert_inserts_at_position(sandbox_dataset):
    sandbox_dataset.upsert_reservation({"_id": "a" * 24, "type": "booked"}, position=3)

    assert sandbox_dataset.reservations()[3]["_id"] == "a" * 24
    assert sandbox_dataset.reservation_count() == 401


def test_delete_removes_every_lookup(sandbox_dataset):
    assert sandbox_dataset.delete_reservation(KNOWN_ID) is True

    assert sandbox_dataset.reservation(KNOWN_ID) is None
    assert sandbox_dataset.reservation("SA1031W") is None
    assert sandbox_dataset.delete_reservation(KNOWN_ID) is False


def test_query_results_follow_changes(sandbox_dataset):
    query = ReservationQuery(REFERENCE_DATE, REFERENCE_DATE + timedelta(days=400))
    before = sandbox_dataset.list_reservations(query, 0, 100)

    sandbox_dataset.delete_reservation(before[0]["_id"])

    after = sandbox_dataset.list_reservations(query, 0, 100)
    assert after[0]["_id"] == before[1]["_id"]


def test_accessors_return_copies(sandbox_dataset):
    sandbox_dataset.reservation(KNOWN_ID)["type"] = "canceled"
    sandbox_dataset.listing("S04")["status"] = "inactive"

    assert sandbox_dataset.reservation(KNOWN_ID)["type"] == "booked"
    assert sandbox_dataset.listing("S04")["status"] == "active"


def test_query_rejects_unknown_date_type_and_type():
    with pytest.raises(ValueError, match="dateType"):
        ReservationQuery(REFERENCE_DATE, REFERENCE_DATE, date_type="checkin")
    with pytest.raises(ValueError, match="'cancelled'"):
        ReservationQuery(REFERENCE_DATE, REFERENCE_DATE, types=frozenset({"cancelled"}))
