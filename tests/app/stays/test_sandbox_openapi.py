"""The sandbox's requests and responses checked against Stays' published OpenAPI files.

Each check compares the exact set of schema errors with the set expected, so a new
disagreement fails the test. The expected ones are the cases below, where sample data
legitimately fails the published schema:

- Reservation NB7428B (c22da43998704d92ba4312ec) has checkOutTime "11h". It is one of the
  manifest's malformed records, kept so that the reconciler counts it as an error. The schema's
  TimeString pattern is ^\\d{2}:\\d{2}$.
- Listing short ids in the sample ("SP01", "F03", "FD06") do not match the InternalID pattern
  ^([A-Z]{2}[0-9]{2,4}[A-Z]{1})$ that the schema applies to every short id. The pattern is kept
  and the sample's listing `id` values are expected to fail it.
"""

import json
from pathlib import Path

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

from app.stays.sandbox import RESERVATION_TYPES

OPENAPI_DIR = Path(__file__).resolve().parents[3] / "app" / "stays" / "openapi"
SPEC_FILES = {
    "/booking/": "booking.json",
    "/content/": "content.json",
    "/settings/": "listing-settings.json",
}
TIME_PATTERN_RECORD = "c22da43998704d92ba4312ec"


@pytest.fixture(scope="module")
def specs():
    return {
        prefix: OpenAPI.from_file_path(str(OPENAPI_DIR / name))
        for prefix, name in SPEC_FILES.items()
    }


def spec_for(specs, path):
    return next(spec for prefix, spec in specs.items() if path.startswith(prefix))


def response_errors(specs, path, response):
    """Return the response's schema errors as {(location in the body, JSON Schema keyword)}."""
    spec = spec_for(specs, path)
    errors = set()
    request = WerkzeugOpenAPIRequest(response.request)
    for error in spec.iter_response_errors(request, WerkzeugOpenAPIResponse(response)):
        schema_errors = getattr(error.__cause__, "schema_errors", None)
        if not schema_errors:
            errors.add(((type(error).__name__,), str(error)))
        for schema_error in schema_errors or ():
            errors.add((tuple(schema_error.absolute_path), schema_error.validator))
    return errors


def request_errors(specs, path, response):
    spec = spec_for(specs, path)
    return [
        str(error) for error in spec.iter_request_errors(WerkzeugOpenAPIRequest(response.request))
    ]


@pytest.mark.parametrize("state", [0, 1])
def test_reservation_list_pages_match_schema(
    sandbox_dataset, sandbox_get, reservations_query, specs, state
):
    sandbox_dataset.set_state(state)
    errors = set()
    skip = 0
    while True:
        response = sandbox_get("/booking/reservations", reservations_query(skip=str(skip)))
        page = response.json
        for location, keyword in response_errors(specs, "/booking/reservations", response):
            index = location[0] if location and isinstance(location[0], int) else None
            record_id = None if index is None else page[index]["_id"]
            errors.add((record_id, location[1:], keyword))
        skip += len(page)
        if len(page) < 100:
            break

    assert skip == sandbox_dataset.reservation_count()
    assert errors == {(TIME_PATTERN_RECORD, ("checkOutTime",), "pattern")}


def test_reservation_details_match_schema(sandbox_dataset, sandbox_get, specs):
    errors = set()
    for record in sandbox_dataset.reservations():
        path = f"/booking/reservations/{record['_id']}"
        for location, keyword in response_errors(specs, path, sandbox_get(path)):
            errors.add((record["_id"], location, keyword))

    assert errors == {(TIME_PATTERN_RECORD, ("checkOutTime",), "pattern")}


def test_listings_match_schema_except_short_ids(sandbox_dataset, sandbox_get, specs):
    listings = sandbox_dataset.listings()
    expected_list_errors = {((index, "id"), "pattern") for index in range(len(listings))}

    page = sandbox_get("/content/listings", {"limit": "100"})
    detail_errors = {}
    for listing in listings:
        path = f"/content/listings/{listing['_id']}"
        detail_errors[listing["_id"]] = response_errors(specs, path, sandbox_get(path))

    assert response_errors(specs, "/content/listings", page) == expected_list_errors
    assert detail_errors == {listing["_id"]: {(("id",), "pattern")} for listing in listings}


def test_booking_settings_match_schema(sandbox_dataset, sandbox_get, specs):
    for listing in sandbox_dataset.listings():
        path = f"/settings/listing/{listing['_id']}/booking"
        response = sandbox_get(path)

        assert response.status_code == 200
        assert response_errors(specs, path, response) == set()


def test_clients_match_schema(sandbox_get, specs, sandbox_dataset):
    client_ids = {r["_idclient"] for r in sandbox_dataset.reservations() if "_idclient" in r}
    errors = {}
    for client_id in sorted(client_ids):
        path = f"/booking/clients/{client_id}"
        response = sandbox_get(path)
        assert response.status_code == 200
        errors[client_id] = response_errors(specs, path, response)

    assert len(client_ids) > 300
    assert {client_id: found for client_id, found in errors.items() if found} == {}


@pytest.mark.parametrize(
    ("path", "query", "auth", "status"),
    [
        ("/booking/reservations", {"from": "x"}, ("sandbox", "sandbox"), 400),
        ("/booking/reservations", {}, None, 401),
        ("/booking/reservations/ffffffffffffffffffffffff", None, ("sandbox", "sandbox"), 404),
        ("/booking/clients/ffffffffffffffffffffffff", None, ("sandbox", "sandbox"), 404),
        ("/content/listings/ffffffffffffffffffffffff", None, ("sandbox", "sandbox"), 404),
        ("/settings/listing/ffffffffffffffffffffffff/booking", None, ("sandbox", "sandbox"), 404),
    ],
)
def test_error_responses_match_schema(sandbox_get, specs, path, query, auth, status):
    response = sandbox_get(path, query, auth=auth)

    assert response.status_code == status
    assert response_errors(specs, path, response) == set()


BASE_QUERY = {"from": "2026-01-01", "to": "2027-01-01", "dateType": "included"}


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"type": "booked"},
        {"type": list(RESERVATION_TYPES)},
        {"listingId": "0c46d1fb6dfbdb0ae0755281"},
        {"skip": "0", "limit": "100"},
        {"type": "cancelled"},
        {"dateType": "checkin"},
        {"from": "x"},
        {"from": None},
        {"limit": "101"},
        {"limit": "0"},
        {"skip": "-1"},
    ],
)
def test_parameter_checks_agree_with_schema(sandbox_get, specs, overrides):
    query = {key: value for key, value in {**BASE_QUERY, **overrides}.items() if value is not None}

    response = sandbox_get("/booking/reservations", query)

    spec_rejects = bool(request_errors(specs, "/booking/reservations", response))
    assert response.status_code in (200, 400)
    assert (response.status_code == 400) == spec_rejects


def test_impossible_date_rejected_despite_schema(sandbox_get, specs):
    # The schema's DateString is only the pattern ^\d{4}-\d{2}-\d{2}$, so it accepts
    # "2026-13-01". The sandbox rejects a date that does not exist.
    query = {**BASE_QUERY, "from": "2026-13-01"}

    response = sandbox_get("/booking/reservations", query)

    assert response.status_code == 400
    assert request_errors(specs, "/booking/reservations", response) == []


def test_schema_rejects_sample_listing_short_ids(sandbox_get, specs):
    # The sample's listing short ids fail the InternalID pattern (see the module docstring),
    # so the schema rejects them as listingId although the sandbox resolves them.
    query = {**BASE_QUERY, "listingId": "S04"}

    response = sandbox_get("/booking/reservations", query)

    assert response.status_code == 200
    assert request_errors(specs, "/booking/reservations", response) != []


def test_spec_files_declare_base_path_and_basic_auth():
    for name in SPEC_FILES.values():
        spec = json.loads((OPENAPI_DIR / name).read_text())
        assert spec["servers"][0]["url"] == "/external/v1"
        assert spec["security"] == [{"BasicAuth": []}]
