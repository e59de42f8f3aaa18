"""GET /api/admin/reconciliation/status: the documented shape and its values."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from admin_factories import make_run, now
from croniter import croniter

from models import ReconciliationItem

STATUS_URL = "/api/admin/reconciliation/status"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# The shape other tools rely on: data.lastRun with these fields (the seven stats among
# them), data.nextRun, data.currentStatus and data.schedule.
LAST_RUN_FIELDS = {
    "id": int,
    "startedAt": str,
    "completedAt": str,
    "duration": int,
    "status": str,
    "message": str,
    "fetched": int,
    "created": int,
    "updated": int,
    "unchanged": int,
    "orphaned": int,
    "deleted": int,
    "errors": int,
}
DATA_FIELDS = {"lastRun", "nextRun", "currentStatus", "currentRun", "schedule"}
SCHEDULE_FIELDS = {"cron", "description", "timezone"}
CURRENT_RUN_FIELDS = {"id", "startedAt", "triggerKey", "processed", "listed", "pagingDone", "stale"}


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_status_shape_matches_the_documented_fields(client, admin_headers):
    started = datetime(2025, 3, 1, 12, 0, 5, 250000, tzinfo=UTC)
    make_run(
        started_at=started,
        completed_at=started + timedelta(milliseconds=4321),
        duration=4321,
        fetched=812,
        created=15,
        updated=30,
        unchanged=760,
        orphaned=2,
        deleted=3,
        errors=4,
        message="4 reservations failed",
    )

    response = client.get(STATUS_URL, headers=admin_headers)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"data"}
    data = body["data"]
    assert set(data) == DATA_FIELDS

    last_run = data["lastRun"]
    assert set(last_run) == set(LAST_RUN_FIELDS)
    for field, kind in LAST_RUN_FIELDS.items():
        assert isinstance(last_run[field], kind), field
    assert last_run["startedAt"] == "2025-03-01T12:00:05.250Z"
    assert last_run["completedAt"] == "2025-03-01T12:00:09.571Z"
    assert last_run["duration"] == 4321
    assert last_run["status"] == "success"
    assert last_run["message"] == "4 reservations failed"
    stats = {name: last_run[name] for name in list(LAST_RUN_FIELDS)[6:]}
    assert stats == {
        "fetched": 812,
        "created": 15,
        "updated": 30,
        "unchanged": 760,
        "orphaned": 2,
        "deleted": 3,
        "errors": 4,
    }

    assert ISO_UTC.match(data["nextRun"])
    assert data["currentStatus"] == "idle"
    assert data["currentRun"] is None
    assert set(data["schedule"]) == SCHEDULE_FIELDS
    assert data["schedule"]["cron"] == "*/30 * * * *"
    assert data["schedule"]["description"] == "every 30 minutes"
    assert data["schedule"]["timezone"] == "UTC"


def test_status_without_runs_has_null_last_run(client, admin_headers):
    data = client.get(STATUS_URL, headers=admin_headers).get_json()["data"]

    assert data["lastRun"] is None
    assert data["currentStatus"] == "idle"
    assert ISO_UTC.match(data["nextRun"])


def test_last_run_skips_skipped_triggers(client, admin_headers):
    real = make_run(started_at=now() - timedelta(minutes=20))
    make_run(
        status="skipped",
        started_at=now() - timedelta(minutes=5),
        duration=0,
        message="Run 1 is still running.",
    )

    last_run = client.get(STATUS_URL, headers=admin_headers).get_json()["data"]["lastRun"]

    assert last_run["id"] == real.id
    assert last_run["status"] == "success"


def test_last_run_is_the_latest_started(client, admin_headers):
    make_run(started_at=now() - timedelta(hours=2), status="failed", message="Stays down")
    latest = make_run(started_at=now() - timedelta(minutes=10), fetched=7)

    last_run = client.get(STATUS_URL, headers=admin_headers).get_json()["data"]["lastRun"]

    assert last_run["id"] == latest.id
    assert last_run["fetched"] == 7


def test_running_run_sets_current_status(client, admin_headers):
    make_run(started_at=now() - timedelta(hours=1))
    running = make_run(
        status="running", started_at=now() - timedelta(minutes=2), trigger_key="manual:abc"
    )
    for index in range(5):
        ReconciliationItem.create(
            run=running.id,
            stays_reservation_id=f"r{index}",
            outcome="created" if index < 3 else None,
        )

    data = client.get(STATUS_URL, headers=admin_headers).get_json()["data"]

    assert data["currentStatus"] == "running"
    assert data["lastRun"]["id"] == running.id
    assert data["lastRun"]["completedAt"] is None
    assert data["lastRun"]["duration"] is None
    current = data["currentRun"]
    assert set(current) == CURRENT_RUN_FIELDS
    assert current["id"] == running.id
    assert current["triggerKey"] == "manual:abc"
    assert current["processed"] == 3
    assert current["listed"] == 5
    assert current["pagingDone"] is False
    assert current["stale"] is False


def test_running_run_past_the_stale_limit_is_flagged(client, admin_headers):
    make_run(status="running", started_at=now() - timedelta(minutes=90))

    current = client.get(STATUS_URL, headers=admin_headers).get_json()["data"]["currentRun"]

    assert current["stale"] is True


def test_next_run_follows_the_configured_cron(make_app, admin_headers):
    client = make_app(RECONCILE_CRON="15 3 * * *").test_client()
    before = croniter("15 3 * * *", now()).get_next(datetime)

    data = client.get(STATUS_URL, headers=admin_headers).get_json()["data"]

    after = croniter("15 3 * * *", now()).get_next(datetime)
    assert parse_iso(data["nextRun"]) in (before, after)
    assert data["nextRun"].endswith("T03:15:00.000Z")
    assert data["schedule"] == {
        "cron": "15 3 * * *",
        "description": "daily at 03:15 UTC",
        "timezone": "UTC",
    }


def test_next_run_is_in_the_future(client, admin_headers):
    data = client.get(STATUS_URL, headers=admin_headers).get_json()["data"]
    next_run = parse_iso(data["nextRun"])

    assert now() < next_run <= now() + timedelta(minutes=30)
    assert next_run.minute in (0, 30)
    assert next_run.second == 0


def test_api_errors_are_json(client, admin_headers):
    missing = client.get("/api/admin/nothing-here", headers=admin_headers)
    wrong_method = client.delete(STATUS_URL, headers=admin_headers)

    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
