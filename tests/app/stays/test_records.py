import copy
import json
from datetime import date
from decimal import Decimal

import pytest

from app.errors import MalformedReservationError
from app.stays.records import parse_reservation, record_key
from app.stays.sandbox import DEFAULT_DATA_DIR

STAYS_ID = "b44488cc527f05ae77aff7da"
LISTING_ID = "5bb2e35cbf0f19c557067cbb"
OTHER_LISTING_ID = "07ef7b77e90d3593ad699fc1"
MANIFEST = json.loads((DEFAULT_DATA_DIR / "manifest.json").read_text())
MALFORMED_IDS = set(MANIFEST["malformed_ids"])
SAMPLE_STATES = {
    state: json.loads((DEFAULT_DATA_DIR / f"reservations-{state}.json").read_text())
    for state in (0, 1)
}
# Fields that only the detail view of a reservation carries.
DETAIL_ONLY = ("agent", "operator", "internalNote")


def detail_view() -> dict:
    return {
        "_id": STAYS_ID,
        "id": "SA1031W",
        "creationDate": "2026-08-26",
        "checkInDate": "2026-10-28",
        "checkInTime": "16:00",
        "checkOutDate": "2026-10-30",
        "checkOutTime": "12:00",
        "_idlisting": LISTING_ID,
        "type": "booked",
        "_idclient": "9394641a659d51782ed8ee0c",
        "price": {"currency": "BRL", "_f_expected": 419.56, "_f_total": 669.56},
        "guests": 6,
        "guestsDetails": {
            "adults": 5,
            "children": 1,
            "infants": 0,
            "list": [
                {"type": "adult", "name": "Renée Lacerda", "primary": True},
                {"type": "adult", "name": "adult_1"},
            ],
        },
        "partner": {"_id": "5f00aa00bb00cc00dd00ee09", "name": "API airbnb"},
        "operator": {"_id": "5f00aa00bb00cc00dd00ee01", "name": "StaysBot"},
        "internalNote": "",
    }


def list_view(detail: dict) -> dict:
    listed = copy.deepcopy(detail)
    for field in DETAIL_ONLY:
        listed.pop(field, None)
    listed.get("guestsDetails", {}).pop("list", None)
    return listed


def changed(path: str, value) -> dict:
    """Return the detail view with one field, given as "a.b", set to value (None: removed)."""
    raw = detail_view()
    *parents, field = path.split(".")
    target = raw
    for parent in parents:
        target = target[parent]
    if value is None:
        target.pop(field, None)
    else:
        target[field] = value
    return raw


def reason_for(raw) -> str:
    with pytest.raises(MalformedReservationError) as caught:
        parse_reservation(raw)
    return caught.value.reason


MALFORMED = [
    ("_id", None, "_id"),
    ("_id", "", "_id"),
    ("_id", 1234, "_id"),
    ("_id", "B44488CC527F05AE77AFF7DA", "_id"),
    ("_id", "b44488cc527f05ae77aff7d", "_id"),
    ("_id", STAYS_ID + "\n", "_id"),
    ("id", None, "id"),
    ("id", "", "id"),
    ("id", 1031, "id"),
    ("type", None, "type"),
    ("type", "cancelled", "type"),
    ("type", "Booked", "type"),
    ("_idlisting", None, "_idlisting"),
    ("_idlisting", "listing-1", "_idlisting"),
    ("_idlisting", 42, "_idlisting"),
    ("checkInDate", None, "checkInDate"),
    ("checkInDate", 20261028, "checkInDate"),
    ("checkInDate", "2027-02-30", "checkInDate"),
    ("checkInDate", "28/10/2026", "checkInDate"),
    ("checkInDate", "20261028", "checkInDate"),
    ("checkInDate", "2026-W44-3", "checkInDate"),
    ("checkInDate", "2026-10-28T16:00:00", "checkInDate"),
    ("checkOutDate", None, "checkOutDate"),
    ("checkOutDate", "2026-13-01", "checkOutDate"),
    ("checkOutDate", "2026-10-27", "before"),
    ("checkInTime", "11h", "checkInTime"),
    ("checkInTime", "25:00", "checkInTime"),
    ("checkInTime", "16:60", "checkInTime"),
    ("checkInTime", "4:00", "checkInTime"),
    ("checkInTime", "16:00:00", "checkInTime"),
    ("checkInTime", "16:00\n", "checkInTime"),
    ("checkInTime", "١٦:٠٠", "checkInTime"),
    ("checkOutTime", 1200, "checkOutTime"),
    ("guests", -1, "guests"),
    ("guests", True, "guests"),
    ("guests", "6", "guests"),
    ("guests", 6.0, "guests"),
    ("guests", 2**31, "guests"),
    ("price._f_total", "R$ 669,56", "price._f_total"),
    ("price._f_total", "NaN", "price._f_total"),
    ("price._f_total", float("nan"), "price._f_total"),
    ("price._f_total", float("inf"), "price._f_total"),
    ("price._f_total", True, "price._f_total"),
    ("price._f_total", [669.56], "price._f_total"),
    ("price._f_total", 1e12, "price._f_total"),
    ("id", "SA\x001031W", "id"),
]


def test_valid_record_is_parsed():
    record = parse_reservation(detail_view())

    assert record.stays_reservation_id == STAYS_ID
    assert record.short_id == "SA1031W"
    assert record.stays_listing_id == LISTING_ID
    assert record.type == "booked"
    assert record.check_in_date == date(2026, 10, 28)
    assert record.check_in_time == "16:00"
    assert record.check_out_date == date(2026, 10, 30)
    assert record.check_out_time == "12:00"
    assert record.guest_name == "Renée Lacerda"
    assert record.guests == 6
    assert record.price_total == Decimal("669.56")
    assert record.currency == "BRL"
    assert record.partner_name == "API airbnb"


@pytest.mark.parametrize("raw", [None, [], "b44488cc527f05ae77aff7da", 42])
def test_record_not_object_is_rejected(raw):
    reason = reason_for(raw)

    assert "JSON object" in reason
    assert type(raw).__name__ in reason


@pytest.mark.parametrize(("field", "value", "named"), MALFORMED)
def test_malformed_field_is_rejected(field, value, named):
    with pytest.raises(MalformedReservationError) as caught:
        parse_reservation(changed(field, value))

    assert named in caught.value.reason
    assert named in str(caught.value)


def test_missing_field_is_rejected():
    for field in ("_id", "id", "type", "_idlisting", "checkInDate", "checkOutDate"):
        reason = reason_for(changed(field, None))

        assert field in reason


def test_rejection_names_reservation():
    with pytest.raises(MalformedReservationError) as caught:
        parse_reservation(changed("checkInTime", "11h"))

    assert caught.value.stays_id == STAYS_ID
    assert STAYS_ID in str(caught.value)
    assert "'11h'" in caught.value.reason


def test_same_day_stay_is_accepted():
    record = parse_reservation(changed("checkOutDate", "2026-10-28"))

    assert record.check_out_date == record.check_in_date


@pytest.mark.parametrize("value", [None, ""])
def test_missing_times_are_none(value):
    raw = changed("checkInTime", value)
    raw["checkOutTime"] = value
    record = parse_reservation(raw)

    assert record.check_in_time is None
    assert record.check_out_time is None


def test_optional_fields_may_be_missing():
    raw = detail_view()
    for field in ("guests", "guestsDetails", "price", "partner"):
        del raw[field]
    record = parse_reservation(raw)

    assert record.guests is None
    assert record.guest_name is None
    assert record.price_total is None
    assert record.currency is None
    assert record.partner_name is None


@pytest.mark.parametrize(("value", "total"), [(669, "669.00"), ("669.555", "669.56"), (0, "0.00")])
def test_price_total_is_rounded(value, total):
    record = parse_reservation(changed("price._f_total", value))

    assert record.price_total == Decimal(total)


def test_sample_malformed_records_are_rejected():
    for state, records in SAMPLE_STATES.items():
        rejected = {}
        for raw in records:
            if raw["_id"] in MALFORMED_IDS:
                rejected[raw["_id"]] = reason_for(raw)

        assert set(rejected) == MALFORMED_IDS, f"state {state}"
        for stays_id, reason in rejected.items():
            assert reason, f"state {state} record {stays_id}"


def test_sample_malformed_reasons():
    records = {raw["_id"]: raw for raw in SAMPLE_STATES[0]}

    assert "checkOutTime '11h'" in reason_for(records["c22da43998704d92ba4312ec"])
    assert "checkInDate '2027-02-30'" in reason_for(records["4d2c4d4f7d025f60d7d6e930"])
    assert "_idlisting" in reason_for(records["350e6b1f9c84c70588e9d406"])
    assert "before checkInDate" in reason_for(records["91038374c9634067c641cac9"])


def test_sample_valid_records_are_accepted():
    for state, records in SAMPLE_STATES.items():
        valid = [raw for raw in records if raw["_id"] not in MALFORMED_IDS]
        parsed = [parse_reservation(raw) for raw in valid]

        assert len(parsed) == len(records) - len(MALFORMED_IDS), f"state {state}"
        assert {record.type for record in parsed} == {
            "reserved",
            "booked",
            "contract",
            "blocked",
            "maintenance",
            "canceled",
        }


def test_sample_records_without_times_are_accepted():
    without_times = [
        raw
        for raw in SAMPLE_STATES[0]
        if raw["_id"] not in MALFORMED_IDS and "checkInTime" not in raw
    ]
    assert without_times

    for raw in without_times:
        assert parse_reservation(raw).check_in_time is None


def test_list_and_detail_views_hash_same():
    detail = parse_reservation(detail_view())
    listed = parse_reservation(list_view(detail_view()))

    assert listed.guest_name is None
    assert detail.guest_name == "Renée Lacerda"
    assert listed.content_hash() == detail.content_hash()


def test_sample_list_views_hash_same():
    for raw in SAMPLE_STATES[0]:
        if raw["_id"] in MALFORMED_IDS:
            continue
        detail = parse_reservation(raw)
        listed = parse_reservation(list_view(raw))

        assert listed.content_hash() == detail.content_hash(), raw["_id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "canceled"),
        ("checkInDate", "2026-10-27"),
        ("checkOutDate", "2026-10-31"),
        ("checkInTime", "15:00"),
        ("checkOutTime", None),
        ("_idlisting", OTHER_LISTING_ID),
        ("guests", 5),
        ("price._f_total", 700),
        ("price.currency", "USD"),
        ("id", "SA1031X"),
    ],
)
def test_field_change_changes_hash(field, value):
    before = parse_reservation(detail_view()).content_hash()
    after = parse_reservation(changed(field, value)).content_hash()

    assert after != before


def test_equal_prices_hash_same():
    before = parse_reservation(changed("price._f_total", 669.5)).content_hash()
    after = parse_reservation(changed("price._f_total", "669.50")).content_hash()

    assert after == before


def test_record_key_names_position():
    assert record_key(detail_view(), "skip=0,index=3") == STAYS_ID
    assert record_key({"_id": ["x"]}, "skip=0,index=3") == "invalid@skip=0,index=3"
    assert record_key("text", "skip=100,index=0") == "invalid@skip=100,index=0"
