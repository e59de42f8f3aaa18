"""GET /api/admin/dashboard: what the status page shows, in one response."""

from __future__ import annotations

from datetime import timedelta

from admin_factories import make_listing, make_pin_job, make_reservation, make_run, now

DASHBOARD_URL = "/api/admin/dashboard"


def get_dashboard(client, headers) -> dict:
    response = client.get(DASHBOARD_URL, headers=headers)
    assert response.status_code == 200
    return response.get_json()["data"]


def test_dashboard_sections(client, admin_headers):
    data = get_dashboard(client, admin_headers)

    assert set(data) == {"status", "runs", "errorRates", "pinJobs", "generatedAt"}
    assert set(data["status"]) == {"lastRun", "nextRun", "currentStatus", "currentRun", "schedule"}
    assert set(data["errorRates"]) == {"last24Hours", "last7Days"}
    assert set(data["pinJobs"]) == {
        "dueNext24Hours",
        "overdue",
        "failed",
        "upcoming",
        "recentFailures",
    }


def test_dashboard_error_rates(client, admin_headers):
    hours_ago = lambda hours: now() - timedelta(hours=hours)  # noqa: E731
    make_run(started_at=hours_ago(1), fetched=100, errors=2)
    make_run(started_at=hours_ago(2), fetched=100)
    make_run(started_at=hours_ago(3), status="failed", fetched=0, errors=1)
    make_run(started_at=hours_ago(4), fetched=100)
    make_run(started_at=hours_ago(48), status="failed", fetched=0, errors=1)
    make_run(started_at=hours_ago(72), fetched=50, errors=5)
    make_run(started_at=hours_ago(24 * 8), status="failed", errors=1)
    make_run(started_at=hours_ago(0.5), status="skipped", errors=0)
    make_run(started_at=hours_ago(0.1), status="running")

    rates = get_dashboard(client, admin_headers)["errorRates"]

    assert rates["last24Hours"] == {
        "finishedRuns": 4,
        "failedRuns": 1,
        "failureRate": 0.25,
        "runsWithItemErrors": 2,
        "itemErrors": 3,
        "fetched": 300,
    }
    assert rates["last7Days"] == {
        "finishedRuns": 6,
        "failedRuns": 2,
        "failureRate": 0.3333,
        "runsWithItemErrors": 4,
        "itemErrors": 9,
        "fetched": 350,
    }


def test_dashboard_error_rate_without_runs_is_null(client, admin_headers):
    rates = get_dashboard(client, admin_headers)["errorRates"]

    assert rates["last24Hours"]["finishedRuns"] == 0
    assert rates["last24Hours"]["failureRate"] is None


def test_dashboard_runs_are_the_last_50_not_skipped(client, admin_headers):
    start = now() - timedelta(days=3)
    for index in range(60):
        status = "skipped" if index % 10 == 9 else "success"
        make_run(started_at=start + timedelta(minutes=30 * index), status=status)

    runs = get_dashboard(client, admin_headers)["runs"]

    assert len(runs) == 50
    assert "skipped" not in {run["status"] for run in runs}
    ids = [run["id"] for run in runs]
    assert ids == sorted(ids, reverse=True)


def test_dashboard_pin_job_counts(client, admin_headers):
    make_listing()
    make_reservation("res-a", guest_name="Ana")
    make_reservation("res-b", guest_name="Bruno")
    make_pin_job("res-a", "generate", now() + timedelta(hours=3))
    make_pin_job("res-a", "revoke", now() + timedelta(hours=30))
    make_pin_job("res-b", "generate", now() - timedelta(minutes=20), status="enqueued")
    make_pin_job("res-b", "revoke", now() - timedelta(days=2), status="failed")
    make_pin_job("res-c", "generate", now() + timedelta(hours=1), status="cancelled")

    pins = get_dashboard(client, admin_headers)["pinJobs"]

    assert pins["dueNext24Hours"] == 1
    assert pins["overdue"] == 1
    assert pins["failed"] == 1
    assert [job["id"] for job in pins["upcoming"]] == ["gen-res-b", "gen-res-a"]
    assert [job["id"] for job in pins["recentFailures"]] == ["rev-res-b"]
    assert pins["upcoming"][1]["reservation"]["guestName"] == "Ana"
