import base64
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

import app.stays.client as client_module
from app.errors import (
    ConfigurationError,
    StaysAuthenticationError,
    StaysRequestError,
    StaysResponseError,
    StaysUnavailableError,
)
from app.stays.client import MAX_RETRY_AFTER_SECONDS, StaysClient, Window

BASE_URL = "https://acme.stays.net/external/v1"
RESERVATIONS_URL = BASE_URL + "/booking/reservations"
CLIENT_ID = "acme-client"
CLIENT_SECRET = "s3cret-b4f1"
WINDOW = Window(date(2027, 1, 1), date(2027, 12, 31))
ALL_TYPES = ["reserved", "booked", "contract", "blocked", "maintenance", "canceled"]
BACKOFF_BASE_SECONDS = 0.01
NOW = datetime(2027, 3, 1, 12, 0, 0, tzinfo=UTC)


class FixedDatetime(datetime):
    """datetime whose now() is NOW, so an HTTP-date Retry-After gives an exact delay."""

    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz) if tz else NOW.replace(tzinfo=None)


@pytest.fixture
def waits(monkeypatch):
    """Record each retry wait instead of sleeping (tenacity sleeps through time.sleep)."""
    recorded: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", recorded.append)
    return recorded


@pytest.fixture
def client(waits):
    return StaysClient(
        BASE_URL,
        CLIENT_ID,
        CLIENT_SECRET,
        connect_timeout_seconds=4,
        read_timeout_seconds=25,
        max_attempts=3,
        backoff_base_seconds=BACKOFF_BASE_SECONDS,
    )


def reservation(number: int) -> dict:
    return {"_id": f"{number:024x}", "id": f"R{number}", "type": "booked"}


def query_of(request) -> dict[str, list[str]]:
    # requests_mock's request.qs lowercases values, so parse the URL itself.
    return parse_qs(urlsplit(request.url).query)


def assert_no_secret(error: BaseException) -> None:
    assert CLIENT_SECRET not in str(error)
    assert CLIENT_SECRET not in repr(error)
    assert CLIENT_SECRET not in str(error.__context__)
    assert CLIENT_SECRET not in str(error.__cause__)


def test_client_requires_credentials():
    with pytest.raises(ConfigurationError) as caught:
        StaysClient(BASE_URL, CLIENT_ID, "")

    assert "STAYS_CLIENT_ID" in str(caught.value)
    assert "STAYS_CLIENT_SECRET" in str(caught.value)


def test_request_sends_basic_auth(client, requests_mock):
    requests_mock.get(RESERVATIONS_URL + "/abc", json={"_id": "abc"})

    client.get_reservation("abc")

    token = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert requests_mock.last_request.headers["Authorization"] == f"Basic {token}"
    assert requests_mock.last_request.headers["Accept"] == "application/json"


def test_request_passes_timeout_tuple(client, requests_mock):
    requests_mock.get(RESERVATIONS_URL, json=[])

    client.list_reservations_page(WINDOW, skip=0)

    assert requests_mock.last_request.timeout == (4, 25)


def test_page_query_parameters(client, requests_mock):
    requests_mock.get(RESERVATIONS_URL, json=[])

    client.list_reservations_page(WINDOW, skip=200)

    query = query_of(requests_mock.last_request)
    assert query["from"] == ["2027-01-01"]
    assert query["to"] == ["2027-12-31"]
    assert query["dateType"] == ["included"]
    assert query["type"] == ALL_TYPES
    assert query["skip"] == ["200"]
    assert query["limit"] == ["100"]


def test_page_that_is_not_array_is_rejected(client, requests_mock):
    requests_mock.get(RESERVATIONS_URL, json={"message": "ok"})

    with pytest.raises(StaysResponseError) as caught:
        client.list_reservations_page(WINDOW, skip=0)

    assert "dict" in str(caught.value)
    assert "array" in str(caught.value)


def test_iteration_stops_on_short_page(client, requests_mock):
    records = [reservation(n) for n in range(250)]
    requests_mock.get(
        RESERVATIONS_URL,
        [{"json": records[0:100]}, {"json": records[100:200]}, {"json": records[200:250]}],
    )

    listed = list(client.iter_reservations(WINDOW))

    assert listed == records
    assert requests_mock.call_count == 3
    skips = [query_of(request)["skip"] for request in requests_mock.request_history]
    assert skips == [["0"], ["100"], ["200"]]


def test_iteration_stops_on_empty_page(client, requests_mock):
    records = [reservation(n) for n in range(200)]
    requests_mock.get(
        RESERVATIONS_URL, [{"json": records[0:100]}, {"json": records[100:200]}, {"json": []}]
    )

    listed = list(client.iter_reservations(WINDOW))

    assert len(listed) == 200
    assert requests_mock.call_count == 3


def test_iteration_deduplicates_by_id(client, requests_mock):
    # A reservation created while paging shifts the second page by one.
    records = [reservation(n) for n in range(150)]
    requests_mock.get(RESERVATIONS_URL, [{"json": records[0:100]}, {"json": records[99:149]}])

    listed = [record["_id"] for record in client.iter_reservations(WINDOW)]

    assert len(listed) == 149
    assert len(set(listed)) == 149
    assert query_of(requests_mock.request_history[1])["skip"] == ["100"]


def test_iteration_yields_records_without_id(client, requests_mock):
    page = ["not an object", {"id": "NOID"}, {"_id": ["a", "list"]}, {"_id": {"$oid": "x"}}]
    requests_mock.get(RESERVATIONS_URL, json=page)

    listed = list(client.iter_reservations(WINDOW))

    assert listed == page


def test_iteration_honours_smaller_limit(client, requests_mock):
    records = [reservation(n) for n in range(5)]
    requests_mock.get(
        RESERVATIONS_URL, [{"json": records[0:2]}, {"json": records[2:4]}, {"json": records[4:]}]
    )

    listed = list(client.iter_reservations(WINDOW, limit=2))

    assert listed == records
    assert query_of(requests_mock.last_request)["limit"] == ["2"]


def test_oversized_page_advances_skip(client, requests_mock):
    records = [reservation(n) for n in range(4)]
    requests_mock.get(RESERVATIONS_URL, [{"json": records[0:3]}, {"json": records[3:]}])

    listed = list(client.iter_reservations(WINDOW, limit=2))

    skips = [query_of(request)["skip"] for request in requests_mock.request_history]
    assert listed == records
    assert skips == [["0"], ["3"]]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_retryable_status_is_retried(client, requests_mock, status):
    requests_mock.get(RESERVATIONS_URL, [{"status_code": status}, {"json": [reservation(1)]}])

    page = client.list_reservations_page(WINDOW, skip=0)

    assert page == [reservation(1)]
    assert requests_mock.call_count == 2


@pytest.mark.parametrize(
    "error",
    [requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout, requests.ConnectionError],
)
def test_network_error_is_retried(client, requests_mock, error):
    requests_mock.get(RESERVATIONS_URL, [{"exc": error}, {"json": []}])

    page = client.list_reservations_page(WINDOW, skip=0)

    assert page == []
    assert requests_mock.call_count == 2


def test_retries_end_in_unavailable_error(client, requests_mock, waits):
    requests_mock.get(RESERVATIONS_URL, status_code=503)

    with pytest.raises(StaysUnavailableError) as caught:
        client.list_reservations_page(WINDOW, skip=0)

    assert requests_mock.call_count == 3
    assert len(waits) == 2
    assert "503" in str(caught.value)
    assert_no_secret(caught.value)


def test_timeouts_end_in_unavailable_error(client, requests_mock):
    requests_mock.get(RESERVATIONS_URL, exc=requests.exceptions.ReadTimeout)

    with pytest.raises(StaysUnavailableError) as caught:
        client.list_reservations_page(WINDOW, skip=0)

    assert requests_mock.call_count == 3
    assert "ReadTimeout" in str(caught.value)
    assert_no_secret(caught.value)


def test_backoff_grows_within_jitter(requests_mock, waits):
    client = StaysClient(BASE_URL, CLIENT_ID, CLIENT_SECRET, max_attempts=6, backoff_base_seconds=1)
    requests_mock.get(RESERVATIONS_URL, status_code=500)

    with pytest.raises(StaysUnavailableError):
        client.list_reservations_page(WINDOW, skip=0)

    assert len(waits) == 5
    for attempt, wait in enumerate(waits, start=1):
        assert 0 <= wait <= 2 ** (attempt - 1)
    assert len(set(waits)) > 1


def test_retry_after_seconds_is_honoured(client, requests_mock, waits):
    requests_mock.get(
        RESERVATIONS_URL, [{"status_code": 429, "headers": {"Retry-After": "7"}}, {"json": []}]
    )

    client.list_reservations_page(WINDOW, skip=0)

    assert waits == [7.0]


def test_retry_after_date_is_honoured(client, requests_mock, waits, monkeypatch):
    monkeypatch.setattr(client_module, "datetime", FixedDatetime)
    requests_mock.get(
        RESERVATIONS_URL,
        [
            {"status_code": 503, "headers": {"Retry-After": "Mon, 01 Mar 2027 12:00:30 GMT"}},
            {"status_code": 503, "headers": {"Retry-After": "Mon, 01 Mar 2027 12:00:45 -0000"}},
            {"json": []},
        ],
    )

    client.list_reservations_page(WINDOW, skip=0)

    assert waits == [30.0, 45.0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3600", MAX_RETRY_AFTER_SECONDS),
        ("Mon, 01 Mar 2027 14:00:00 GMT", MAX_RETRY_AFTER_SECONDS),
        ("Mon, 01 Mar 2027 11:00:00 GMT", 0.0),
        ("-5", 0.0),
    ],
)
def test_retry_after_is_capped(client, requests_mock, waits, monkeypatch, header, expected):
    monkeypatch.setattr(client_module, "datetime", FixedDatetime)
    requests_mock.get(
        RESERVATIONS_URL, [{"status_code": 429, "headers": {"Retry-After": header}}, {"json": []}]
    )

    client.list_reservations_page(WINDOW, skip=0)

    assert waits == [expected]


def test_unreadable_retry_after_uses_backoff(client, requests_mock, waits):
    requests_mock.get(
        RESERVATIONS_URL,
        [{"status_code": 429, "headers": {"Retry-After": "soon"}}, {"json": []}],
    )

    client.list_reservations_page(WINDOW, skip=0)

    assert len(waits) == 1
    assert 0 <= waits[0] <= BACKOFF_BASE_SECONDS


def test_unauthorized_is_not_retried(client, requests_mock):
    requests_mock.get(RESERVATIONS_URL, status_code=401, json={"message": "Unauthorized"})

    with pytest.raises(StaysAuthenticationError) as caught:
        client.list_reservations_page(WINDOW, skip=0)

    assert requests_mock.call_count == 1
    assert "STAYS_CLIENT_ID" in str(caught.value)
    assert "STAYS_CLIENT_SECRET" in str(caught.value)
    assert_no_secret(caught.value)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_client_error_is_not_retried(client, requests_mock, status):
    requests_mock.get(RESERVATIONS_URL, status_code=status, json={"message": "limit above 100"})

    with pytest.raises(StaysRequestError) as caught:
        client.list_reservations_page(WINDOW, skip=0)

    assert requests_mock.call_count == 1
    assert str(status) in str(caught.value)
    assert "limit above 100" in str(caught.value)
    assert_no_secret(caught.value)


def test_missing_reservation_returns_none(client, requests_mock):
    requests_mock.get(RESERVATIONS_URL + "/gone", status_code=404, json={"message": "not found"})

    assert client.get_reservation("gone") is None
    assert requests_mock.call_count == 1


def test_html_body_is_response_error(client, requests_mock):
    requests_mock.get(
        RESERVATIONS_URL,
        text="<html><body>Bad gateway page</body></html>",
        headers={"Content-Type": "text/html"},
    )

    with pytest.raises(StaysResponseError) as caught:
        client.list_reservations_page(WINDOW, skip=0)

    message = str(caught.value)
    assert requests_mock.call_count == 1
    assert "text/html" in message
    assert "<html><body>Bad gateway" in message
    assert_no_secret(caught.value)


def test_truncated_json_is_response_error(client, requests_mock):
    requests_mock.get(
        RESERVATIONS_URL,
        text='[{"_id": "0000000000000000000000aa", "ty',
        headers={"Content-Type": "application/json"},
    )

    with pytest.raises(StaysResponseError) as caught:
        client.list_reservations_page(WINDOW, skip=0)

    message = str(caught.value)
    assert "not JSON" in message
    assert "application/json" in message
    assert "40 bytes" in message
    assert_no_secret(caught.value)


def test_listings_are_paged(client, requests_mock):
    listings = [{"_id": f"{n:024x}"} for n in range(130)]
    requests_mock.get(
        BASE_URL + "/content/listings", [{"json": listings[:100]}, {"json": listings[100:]}]
    )

    assert client.list_listings() == listings
    assert [query_of(r)["skip"] for r in requests_mock.request_history] == [["0"], ["100"]]
