"""Fault injection, request counting and the /_sandbox control endpoints."""

import json

import pytest

from app.stays.sandbox import FaultRule

CREDENTIALS = ("sandbox", "sandbox")
RESERVATIONS = "/booking/reservations"
KNOWN_ID = "af3cc6086ed95e6b0cdca2f7"


def test_status_fault_sends_retry_after_then_expires(
    sandbox_faults, sandbox_get, reservations_query
):
    sandbox_faults.add(FaultRule(RESERVATIONS, status=503, times=2, headers={"Retry-After": "1"}))

    responses = [sandbox_get(RESERVATIONS, reservations_query()) for _ in range(3)]

    assert [response.status_code for response in responses] == [503, 503, 200]
    assert responses[0].headers["Retry-After"] == "1"
    assert responses[1].headers["Retry-After"] == "1"
    assert "Retry-After" not in responses[2].headers
    assert "503" in responses[0].json["message"]
    assert len(sandbox_faults) == 0


def test_html_fault_serves_the_given_body(sandbox_faults, sandbox_get, reservations_query):
    html = "<html><body>502 Bad Gateway</body></html>"
    sandbox_faults.add(FaultRule(RESERVATIONS, status=502, body=html, content_type="text/html"))

    response = sandbox_get(RESERVATIONS, reservations_query())

    assert response.status_code == 502
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == html


def test_body_only_fault_answers_200(sandbox_faults, sandbox_get, reservations_query):
    sandbox_faults.add(FaultRule(RESERVATIONS, body='{"unexpected": "object"}'))

    response = sandbox_get(RESERVATIONS, reservations_query())

    assert response.status_code == 200
    assert response.json == {"unexpected": "object"}


def test_truncate_fault_halves_real_json(sandbox_faults, sandbox_get, reservations_query):
    complete = sandbox_get(RESERVATIONS, reservations_query()).get_data()
    sandbox_faults.add(FaultRule(RESERVATIONS, truncate=True))

    response = sandbox_get(RESERVATIONS, reservations_query())

    body = response.get_data()
    assert response.status_code == 200
    assert body == complete[: len(complete) // 2]
    assert int(response.headers["Content-Length"]) == len(body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_truncate_applies_to_a_scripted_body(sandbox_faults, sandbox_get, reservations_query):
    sandbox_faults.add(
        FaultRule(RESERVATIONS, status=500, body='{"message": "Internal"}', truncate=True)
    )

    response = sandbox_get(RESERVATIONS, reservations_query())

    assert response.status_code == 500
    assert response.get_data(as_text=True) == '{"message":'


def test_fault_matches_by_path_prefix(sandbox_faults, sandbox_get):
    sandbox_faults.add(FaultRule(RESERVATIONS, status=500, times=5))

    detail = sandbox_get(f"{RESERVATIONS}/{KNOWN_ID}")
    listings = sandbox_get("/content/listings")

    assert detail.status_code == 500
    assert listings.status_code == 200
    assert len(sandbox_faults) == 1


def test_oldest_matching_fault_applies_first(sandbox_faults, sandbox_get):
    sandbox_faults.add(FaultRule(RESERVATIONS, status=502))
    sandbox_faults.add(FaultRule("/booking", status=504))

    statuses = [sandbox_get(f"{RESERVATIONS}/{KNOWN_ID}").status_code for _ in range(3)]

    assert statuses == [502, 504, 200]


def test_fault_precedes_the_credential_check(sandbox_faults, sandbox_get, reservations_query):
    sandbox_faults.add(FaultRule(RESERVATIONS, status=503))

    response = sandbox_get(RESERVATIONS, reservations_query(), auth=None)

    assert response.status_code == 503


def test_requests_are_counted_per_path(
    sandbox_faults, sandbox_request_counter, sandbox_get, reservations_query
):
    sandbox_faults.add(FaultRule(RESERVATIONS, status=503))
    sandbox_get(RESERVATIONS, reservations_query())
    sandbox_get(RESERVATIONS, reservations_query())
    sandbox_get(RESERVATIONS, reservations_query(), auth=None)
    sandbox_get(f"{RESERVATIONS}/{KNOWN_ID}")

    assert sandbox_request_counter.counts() == {RESERVATIONS: 3, f"{RESERVATIONS}/{KNOWN_ID}": 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": 503}, "needs a path"),
        ({"path": "booking/reservations"}, "starting with '/'"),
        ({"path": RESERVATIONS, "status": 99}, "status"),
        ({"path": RESERVATIONS, "status": "503"}, "status"),
        ({"path": RESERVATIONS, "times": 0}, "times"),
        ({"path": RESERVATIONS, "headers": {"Retry-After": 1}}, "headers"),
        ({"path": RESERVATIONS, "delay_seconds": -1}, "delay_seconds"),
        ({"path": RESERVATIONS, "truncate": "yes"}, "truncate"),
        ({"path": RESERVATIONS, "retry": True}, "'retry' is not known"),
        ([RESERVATIONS], "JSON object"),
    ],
)
def test_invalid_fault_gets_400(sandbox_client, sandbox_faults, body, message):
    response = sandbox_client.post("/_sandbox/faults", json=body, auth=CREDENTIALS)

    assert response.status_code == 400
    assert message in response.json["message"]
    assert len(sandbox_faults) == 0


def test_fault_endpoints_arm_and_clear(sandbox_client, sandbox_faults, sandbox_get):
    armed = sandbox_client.post(
        "/_sandbox/faults",
        json={"path": RESERVATIONS, "status": 503, "times": 3},
        auth=CREDENTIALS,
    )
    sandbox_get(f"{RESERVATIONS}/{KNOWN_ID}")
    cleared = sandbox_client.delete("/_sandbox/faults", auth=CREDENTIALS)

    assert armed.status_code == 201
    assert armed.json["times"] == 3
    assert cleared.json == {"cleared": 1}
    assert sandbox_get(f"{RESERVATIONS}/{KNOWN_ID}").status_code == 200


def test_request_count_endpoints_read_and_reset(sandbox_client, sandbox_get):
    sandbox_get("/content/listings")
    sandbox_get("/content/listings")

    counts = sandbox_client.get("/_sandbox/requests", auth=CREDENTIALS).json
    sandbox_client.delete("/_sandbox/requests", auth=CREDENTIALS)

    assert counts == {"/content/listings": 2}
    assert sandbox_client.get("/_sandbox/requests", auth=CREDENTIALS).json == {}


def test_state_endpoint_switches_state(sandbox_client, sandbox_dataset):
    response = sandbox_client.post("/_sandbox/state", json={"state": 1}, auth=CREDENTIALS)

    assert response.status_code == 200
    assert response.json == {"state": 1, "reservations": 412}
    assert sandbox_dataset.state == 1


@pytest.mark.parametrize("body", [{"state": 7}, {"state": "1"}, {"state": [1]}, {}])
def test_state_endpoint_rejects_unknown_state(sandbox_client, sandbox_dataset, body):
    response = sandbox_client.post("/_sandbox/state", json=body, auth=CREDENTIALS)

    assert response.status_code == 400
    assert repr(body.get("state")) in response.json["message"]
    assert sandbox_dataset.state == 0


def test_reservation_endpoints_replace_upsert_and_delete(sandbox_client, sandbox_get):
    records = [{"_id": "a" * 24, "id": "AA11A", "type": "booked"}]
    replaced = sandbox_client.put("/_sandbox/reservations", json=records, auth=CREDENTIALS)
    upserted = sandbox_client.post(
        "/_sandbox/reservations?position=0",
        json={"_id": "b" * 24, "id": "BB22B", "type": "booked"},
        auth=CREDENTIALS,
    )
    deleted = sandbox_client.delete(f"/_sandbox/reservations/{'a' * 24}", auth=CREDENTIALS)
    deleted_again = sandbox_client.delete(f"/_sandbox/reservations/{'a' * 24}", auth=CREDENTIALS)

    assert replaced.json == {"reservations": 1}
    assert upserted.json == {"_id": "b" * 24}
    assert deleted.status_code == 200
    assert deleted_again.status_code == 404
    assert sandbox_get("/booking/reservations/BB22B").status_code == 200
    assert sandbox_get("/booking/reservations/AA11A").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/_sandbox/reservations", {"_id": "a" * 24}),
        ("put", "/_sandbox/reservations", [{"id": "AA11A"}]),
        ("post", "/_sandbox/reservations", [{"_id": "a" * 24}]),
        ("post", "/_sandbox/reservations", {"id": "AA11A"}),
        ("post", "/_sandbox/reservations?position=-1", {"_id": "a" * 24}),
    ],
)
def test_invalid_reservation_body_gets_400(sandbox_client, sandbox_dataset, method, path, body):
    response = getattr(sandbox_client, method)(path, json=body, auth=CREDENTIALS)

    assert response.status_code == 400
    assert isinstance(response.json["message"], str)
    assert sandbox_dataset.reservation_count() == 400
