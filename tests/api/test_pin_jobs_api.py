"""GET /api/admin/pin-jobs: upcoming and failed PIN jobs with their stay, never the PIN."""

from __future__ import annotations

from datetime import timedelta

import pytest
from admin_factories import (
    make_access_code,
    make_listing,
    make_pin_job,
    make_reservation,
    make_run,
    now,
)

PIN_JOBS_URL = "/api/admin/pin-jobs"
SECRET_PIN = "918273"


@pytest.fixture
def jobs():
    """Jobs of every status around now, keyed by a short name."""
    make_listing("L1", "Casa da Praia")
    make_reservation("res-a", short_id="AB12C", guest_name="Ana Lima")
    make_reservation("res-b", short_id="CD34E", guest_name="Bruno Reis")
    make_reservation("res-c", short_id="EF56G", guest_name="Carla Dias")
    make_access_code("res-a", SECRET_PIN)
    soon = now() + timedelta(hours=2)
    return {
        "due": make_pin_job("res-a", "generate", soon),
        "later": make_pin_job("res-a", "revoke", soon + timedelta(days=4)),
        "enqueued": make_pin_job(
            "res-b", "generate", soon - timedelta(minutes=5), status="enqueued"
        ),
        "failed": make_pin_job(
            "res-b",
            "revoke",
            now() - timedelta(days=1),
            status="failed",
            attempts=5,
            last_error="Lock provider answered 500.",
        ),
        "done": make_pin_job("res-c", "generate", now() - timedelta(days=2), status="done"),
        "cancelled": make_pin_job("res-c", "revoke", soon, status="cancelled"),
        "orphan": make_pin_job("res-gone", "generate", soon + timedelta(hours=1)),
    }


def ids_of(response) -> list[str]:
    return [job["id"] for job in response.get_json()["data"]]


def test_pin_jobs_default_filter(client, admin_headers, jobs):
    response = client.get(PIN_JOBS_URL, headers=admin_headers)

    assert response.status_code == 200
    assert ids_of(response) == [
        jobs["failed"].id,
        jobs["enqueued"].id,
        jobs["due"].id,
        jobs["orphan"].id,
        jobs["later"].id,
    ]
    assert response.get_json()["pagination"] == {"limit": 100, "offset": 0, "total": 5}


def test_pin_job_shows_its_reservation_and_listing(client, admin_headers, jobs):
    data = client.get(PIN_JOBS_URL, headers=admin_headers).get_json()["data"]
    failed = next(job for job in data if job["id"] == jobs["failed"].id)

    assert set(failed) == {
        "id",
        "kind",
        "status",
        "runAt",
        "attempts",
        "version",
        "lastError",
        "enqueuedAt",
        "completedAt",
        "updatedAt",
        "reservation",
    }
    assert failed["kind"] == "revoke"
    assert failed["status"] == "failed"
    assert failed["attempts"] == 5
    assert failed["lastError"] == "Lock provider answered 500."
    assert failed["runAt"].endswith("Z")
    reservation = failed["reservation"]
    assert reservation["staysReservationId"] == "res-b"
    assert reservation["found"] is True
    assert reservation["shortId"] == "CD34E"
    assert reservation["guestName"] == "Bruno Reis"
    assert reservation["type"] == "booked"
    assert reservation["deleted"] is False
    assert reservation["listing"] == {"staysListingId": "L1", "name": "Casa da Praia"}


def test_pin_job_of_missing_reservation(client, admin_headers, jobs):
    data = client.get(PIN_JOBS_URL, headers=admin_headers).get_json()["data"]
    orphan = next(job for job in data if job["id"] == jobs["orphan"].id)

    assert orphan["reservation"]["found"] is False
    assert orphan["reservation"]["staysReservationId"] == "res-gone"
    assert orphan["reservation"]["guestName"] is None


def test_pin_jobs_filter_by_status(client, admin_headers, jobs):
    done = client.get(f"{PIN_JOBS_URL}?status=done,cancelled", headers=admin_headers)
    failed = client.get(f"{PIN_JOBS_URL}?status=FAILED", headers=admin_headers)

    assert set(ids_of(done)) == {jobs["done"].id, jobs["cancelled"].id}
    assert ids_of(failed) == [jobs["failed"].id]


def test_pin_jobs_filter_by_time_range(client, admin_headers, jobs):
    start = (now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    response = client.get(
        PIN_JOBS_URL, query_string={"from": start, "to": end}, headers=admin_headers
    )

    assert ids_of(response) == [jobs["enqueued"].id, jobs["due"].id, jobs["orphan"].id]


def test_pin_jobs_dates_without_time_are_utc_midnight(client, admin_headers, jobs):
    tomorrow = (now() + timedelta(days=1)).date().isoformat()

    response = client.get(f"{PIN_JOBS_URL}?from={tomorrow}", headers=admin_headers)

    assert jobs["later"].id in ids_of(response)
    assert jobs["failed"].id not in ids_of(response)


def test_pin_jobs_unencoded_plus_offset_is_read(client, admin_headers, jobs):
    start = (now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S")

    response = client.get(f"{PIN_JOBS_URL}?from={start}+00:00", headers=admin_headers)

    assert response.status_code == 200
    assert jobs["failed"].id not in ids_of(response)


def test_pin_jobs_pagination(client, admin_headers, jobs):
    first = client.get(f"{PIN_JOBS_URL}?limit=2", headers=admin_headers).get_json()
    rest = client.get(f"{PIN_JOBS_URL}?limit=2&offset=2", headers=admin_headers).get_json()

    assert len(first["data"]) == 2
    assert first["pagination"]["total"] == 5
    assert [job["id"] for job in rest["data"]] == [jobs["due"].id, jobs["orphan"].id]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=pending", "status"),
        ("from=yesterday", "from"),
        ("to=2025-13-01", "to"),
        ("from=2025-02-01&to=2025-01-01", "to"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_pin_jobs_invalid_parameter_is_400(client, admin_headers, query, parameter):
    response = client.get(f"{PIN_JOBS_URL}?{query}", headers=admin_headers)

    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == parameter


def test_no_response_contains_a_pin(client, admin_headers, jobs, stub_broker):
    make_run(message="Run done.")
    urls = [
        "/api/admin/reconciliation/status",
        "/api/admin/reconciliation/runs",
        "/api/admin/pin-jobs",
        "/api/admin/pin-jobs?status=scheduled,enqueued,done,cancelled,failed",
        "/api/admin/dashboard",
        "/healthz",
        "/admin",
        "/admin?lang=en",
        "/admin/static/status.js",
    ]
    responses = [client.get(url, headers=admin_headers) for url in urls]
    responses.append(client.post("/api/admin/reconciliation/run", headers=admin_headers))

    for url, response in zip([*urls, "POST run"], responses, strict=True):
        assert response.status_code in (200, 202), url
        assert SECRET_PIN not in response.get_data(as_text=True), url
