"""The sandbox's Stays API: parameters, filters, paging, views, lookups and errors."""

from collections import Counter

import pytest

from app.stays.sandbox import RESERVATION_TYPES

KNOWN_ID = "af3cc6086ed95e6b0cdca2f7"
KNOWN_SHORT_ID = "LJ8845M"
KNOWN_PARTNER_CODE = "9319858293"
KNOWN_LISTING_ID = "0c46d1fb6dfbdb0ae0755281"
KNOWN_LISTING_SHORT_ID = "S04"
KNOWN_CLIENT_ID = "898e5bfd36c693030942b9db"


def stay(stays_id, check_in, check_out, kind="booked", created="2026-01-01", **fields):
    return {
        "_id": stays_id,
        "id": f"ST{len(stays_id):02d}{stays_id[-1].upper()}",
        "type": kind,
        "checkInDate": check_in,
        "checkOutDate": check_out,
        "creationDate": created,
        "_idlisting": KNOWN_LISTING_ID,
        **fields,
    }


def returned_ids(response):
    assert response.status_code == 200, response.json
    return {record["_id"] for record in response.json}


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, ("sandbox", "wrong"), ("wrong", "sandbox"), ("", "")],
    ids=["missing", "wrong secret", "wrong client id", "empty"],
)
def test_bad_credentials_get_401_json(sandbox_get, reservations_query, auth):
    response = sandbox_get("/booking/reservations", reservations_query(), auth=auth)

    assert response.status_code == 401
    assert response.is_json
    assert "credentials" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_control_endpoints_need_credentials_too(sandbox_client):
    response = sandbox_client.get("/_sandbox/requests")

    assert response.status_code == 401


def test_unknown_path_gets_404_json(sandbox_get):
    response = sandbox_get("/booking/nothing-here")

    assert response.status_code == 404
    assert isinstance(response.json["message"], str)


# --- parameter checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"from": None}, "from"),
        ({"to": None}, "to"),
        ({"dateType": None}, "dateType"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-1-5"}, "from"),
        ({"to": "20261231"}, "to"),
        ({"to": "2027-02-30"}, "to"),
        ({"dateType": "checkin"}, "dateType"),
        ({"type": ["booked", "cancelled"]}, "type"),
        ({"type": ""}, "type"),
        ({"limit": "101"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "2.5"}, "limit"),
        ({"skip": "-1"}, "skip"),
        ({"skip": "1e3"}, "skip"),
    ],
)
def test_invalid_parameter_gets_400_naming_it(sandbox_get, reservations_query, overrides, named):
    response = sandbox_get("/booking/reservations", reservations_query(**overrides))

    assert response.status_code == 400
    assert response.is_json
    assert f"Parameter {named} " in response.json["message"]


def test_limit_of_100_is_accepted(sandbox_get, reservations_query):
    response = sandbox_get("/booking/reservations", reservations_query(limit="100"))

    assert response.status_code == 200
    assert len(response.json) == 100


def test_listings_limit_above_100_gets_400(sandbox_get):
    response = sandbox_get("/content/listings", {"limit": "101"})

    assert response.status_code == 400
    assert "limit" in response.json["message"]


# --- filters --------------------------------------------------------------------------------


def test_included_window_counts_edge_stays(sandbox_dataset, sandbox_get, reservations_query):
    sandbox_dataset.replace_reservations(
        [
            stay("a" * 24, "2027-03-01", "2027-03-10"),  # check-out on `from`
            stay("b" * 24, "2027-03-20", "2027-03-25"),  # check-in on `to`
            stay("c" * 24, "2027-03-12", "2027-03-14"),  # inside
            stay("d" * 24, "2027-03-01", "2027-03-30"),  # spans the window
            stay("e" * 24, "2027-03-01", "2027-03-09"),  # ends the day before `from`
            stay("f" * 24, "2027-03-21", "2027-03-25"),  # starts the day after `to`
        ]
    )

    response = sandbox_get(
        "/booking/reservations", reservations_query(**{"from": "2027-03-10", "to": "2027-03-20"})
    )

    assert returned_ids(response) == {"a" * 24, "b" * 24, "c" * 24, "d" * 24}


@pytest.mark.parametrize(
    ("date_type", "expected"),
    [
        ("arrival", {"a" * 24}),
        ("departure", {"b" * 24}),
        ("creation", {"c" * 24}),
        ("creationorig", {"c" * 24}),
    ],
)
def test_date_type_selects_its_date(
    sandbox_dataset, sandbox_get, reservations_query, date_type, expected
):
    sandbox_dataset.replace_reservations(
        [
            stay("a" * 24, "2027-03-10", "2027-03-25", created="2026-01-01"),
            stay("b" * 24, "2027-03-01", "2027-03-20", created="2026-01-01"),
            stay("c" * 24, "2027-04-01", "2027-04-05", created="2027-03-15"),
        ]
    )
    window = {"from": "2027-03-10", "to": "2027-03-20", "dateType": date_type}

    response = sandbox_get("/booking/reservations", reservations_query(**window))

    assert returned_ids(response) == expected


@pytest.mark.parametrize(
    ("date_type", "check_in", "check_out", "included"),
    [
        ("included", "2027-02-30", "2027-03-15", True),
        ("included", "2027-02-30", "2027-04-15", False),
        ("included", "2027-03-15", "not a date", True),
        ("included", "2027-02-30", "", True),
        ("arrival", "2027-02-30", "2027-03-15", True),
        ("arrival", "2027-02-30", "2027-04-15", False),
        ("departure", "2027-03-15", "2027-13-01", True),
        ("departure", "2027-01-15", "2027-13-01", False),
    ],
)
def test_unparseable_date_defers_to_the_other(
    sandbox_dataset, sandbox_get, reservations_query, date_type, check_in, check_out, included
):
    sandbox_dataset.replace_reservations([stay("a" * 24, check_in, check_out)])
    window = {"from": "2027-03-10", "to": "2027-03-20", "dateType": date_type}

    response = sandbox_get("/booking/reservations", reservations_query(**window))

    assert returned_ids(response) == ({"a" * 24} if included else set())


def test_unparseable_creation_date_is_included(sandbox_dataset, sandbox_get, reservations_query):
    sandbox_dataset.replace_reservations(
        [stay("a" * 24, "2027-03-10", "2027-03-12", created="2027-3-1")]
    )
    window = {"from": "2020-01-01", "to": "2020-01-02", "dateType": "creation"}

    response = sandbox_get("/booking/reservations", reservations_query(**window))

    assert returned_ids(response) == {"a" * 24}


def test_reversed_stay_covers_the_days_between(sandbox_dataset, sandbox_get, reservations_query):
    sandbox_dataset.replace_reservations([stay("a" * 24, "2027-03-25", "2027-03-05")])

    response = sandbox_get(
        "/booking/reservations", reservations_query(**{"from": "2027-03-10", "to": "2027-03-12"})
    )

    assert returned_ids(response) == {"a" * 24}


def test_default_types_are_reserved_booked_contract(
    sandbox_dataset, sandbox_get, reservations_query
):
    expected = Counter(
        record["type"]
        for record in sandbox_dataset.reservations()
        if record["type"] in ("reserved", "booked", "contract")
    )

    pages = [
        sandbox_get("/booking/reservations", reservations_query(type=None, skip=str(skip))).json
        for skip in range(0, 500, 100)
    ]

    returned = Counter(record["type"] for page in pages for record in page)
    assert returned == expected
    assert set(returned) == {"reserved", "booked", "contract"}


def test_repeated_type_selects_those_types(sandbox_get, reservations_query):
    response = sandbox_get(
        "/booking/reservations", reservations_query(type=["canceled", "blocked"])
    )

    assert response.status_code == 200
    assert {record["type"] for record in response.json} == {"canceled", "blocked"}


def test_listing_filter_accepts_short_ids(sandbox_dataset, sandbox_get, reservations_query):
    expected = {
        record["_id"]
        for record in sandbox_dataset.reservations()
        if record.get("_idlisting") in (KNOWN_LISTING_ID, "a7c91a5a97a327707c282200")
    }

    by_long_id = sandbox_get(
        "/booking/reservations",
        reservations_query(listingId=[KNOWN_LISTING_ID, "a7c91a5a97a327707c282200"]),
    )
    by_short_id = sandbox_get("/booking/reservations", reservations_query(listingId=["S04", "S12"]))

    assert expected
    assert returned_ids(by_long_id) == expected
    assert returned_ids(by_short_id) == expected


# --- paging ---------------------------------------------------------------------------------


def test_default_limit_is_20(sandbox_get, reservations_query):
    response = sandbox_get("/booking/reservations", reservations_query(limit=None))

    assert len(response.json) == 20


def test_union_of_pages_equals_the_window(sandbox_dataset, sandbox_get, reservations_query):
    window = {"from": "2026-12-01", "to": "2027-01-15"}
    everything = sandbox_get(
        "/booking/reservations", reservations_query(**window, limit="100")
    ).json
    expected = [
        record["_id"]
        for record in sandbox_dataset.reservations()
        if record["checkInDate"] <= window["to"] and record["checkOutDate"] >= window["from"]
    ]
    paged = []
    skip = 0
    while True:
        page = sandbox_get(
            "/booking/reservations", reservations_query(**window, skip=skip, limit="7")
        ).json
        paged.extend(record["_id"] for record in page)
        skip += len(page)
        if len(page) < 7:
            break

    assert 20 < len(expected) < 100
    assert paged == expected
    assert [record["_id"] for record in everything] == expected
    assert len(set(paged)) == len(paged)


def test_skip_past_the_end_returns_empty_array(sandbox_get, reservations_query):
    response = sandbox_get("/booking/reservations", reservations_query(skip="100000"))

    assert response.status_code == 200
    assert response.json == []


def test_order_is_stable_between_requests(sandbox_get, reservations_query):
    first = sandbox_get("/booking/reservations", reservations_query(skip="40", limit="30")).json
    second = sandbox_get("/booking/reservations", reservations_query(skip="40", limit="30")).json

    assert [r["_id"] for r in first] == [r["_id"] for r in second]


def test_insert_while_paging_shifts_pages(sandbox_dataset, sandbox_get, reservations_query):
    first_page = sandbox_get("/booking/reservations", reservations_query(limit="10")).json
    sandbox_dataset.upsert_reservation(stay("f" * 24, "2027-01-10", "2027-01-12"), position=0)

    second_page = sandbox_get(
        "/booking/reservations", reservations_query(skip="10", limit="10")
    ).json

    assert second_page[0]["_id"] == first_page[-1]["_id"]


# --- views and lookups ----------------------------------------------------------------------


def test_list_view_omits_detail_only_fields(sandbox_get, reservations_query):
    records = []
    for skip in range(0, 500, 100):
        records += sandbox_get("/booking/reservations", reservations_query(skip=str(skip))).json

    assert len(records) == 400
    for record in records:
        assert "operator" not in record
        assert "internalNote" not in record
        assert "agent" not in record
        assert "list" not in record.get("guestsDetails", {})
    assert sum("guestsDetails" in record for record in records) == 361


def test_detail_view_is_the_full_record(sandbox_dataset, sandbox_get):
    stored = next(r for r in sandbox_dataset.reservations() if r["_id"] == KNOWN_ID)

    response = sandbox_get(f"/booking/reservations/{KNOWN_ID}")

    assert response.json == stored
    assert response.json["guestsDetails"]["list"][0]["primary"] is True
    assert response.json["operator"]["name"] == "StaysBot"
    assert "internalNote" in response.json


@pytest.mark.parametrize("reservation_id", [KNOWN_ID, KNOWN_SHORT_ID, KNOWN_PARTNER_CODE])
def test_detail_found_by_each_identifier(sandbox_get, reservation_id):
    response = sandbox_get(f"/booking/reservations/{reservation_id}")

    assert response.status_code == 200
    assert response.json["_id"] == KNOWN_ID


@pytest.mark.parametrize(
    "path",
    [
        "/booking/reservations/ffffffffffffffffffffffff",
        "/booking/clients/ffffffffffffffffffffffff",
        "/content/listings/ffffffffffffffffffffffff",
        "/settings/listing/ffffffffffffffffffffffff/booking",
    ],
)
def test_missing_item_gets_404_message(sandbox_get, path):
    response = sandbox_get(path)

    assert response.status_code == 404
    assert response.is_json
    assert "ffffffffffffffffffffffff" in response.json["message"]


def test_listings_page_with_skip_and_limit(sandbox_get):
    everything = sandbox_get("/content/listings", {"limit": "100"}).json
    page = sandbox_get("/content/listings", {"skip": "2", "limit": "3"}).json

    assert len(everything) == 12
    assert page == everything[2:5]


@pytest.mark.parametrize("listing_id", [KNOWN_LISTING_ID, KNOWN_LISTING_SHORT_ID])
def test_listing_found_by_id_or_short_id(sandbox_get, listing_id):
    response = sandbox_get(f"/content/listings/{listing_id}")

    assert response.status_code == 200
    assert response.json["_id"] == KNOWN_LISTING_ID
    assert response.json["address"]["city"] == "Salvador"


def test_booking_settings_include_default_times(sandbox_get):
    response = sandbox_get(f"/settings/listing/{KNOWN_LISTING_SHORT_ID}/booking")

    assert response.status_code == 200
    assert response.json["_idlisting"] == KNOWN_LISTING_ID
    assert response.json["checkInTime"] == "15:00"
    assert response.json["checkOutTime"] == "10:00"


def test_client_found_by_id(sandbox_get):
    response = sandbox_get(f"/booking/clients/{KNOWN_CLIENT_ID}")

    assert response.status_code == 200
    assert response.json["name"] == "Tiago Gonçalves"
    assert response.json["prefLang"] == "en_US"


def test_all_six_types_exist_in_the_sample(sandbox_dataset):
    assert {record["type"] for record in sandbox_dataset.reservations()} == set(RESERVATION_TYPES)
