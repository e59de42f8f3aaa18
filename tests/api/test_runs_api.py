"""GET /api/admin/reconciliation/runs: history, cursor pagination and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from admin_factories import make_run, now

RUNS_URL = "/api/admin/reconciliation/runs"


@pytest.fixture
def history():
    """25 runs a minute apart, every fifth one skipped; returned oldest first."""
    start = now() - timedelta(hours=1)
    runs = []
    for index in range(25):
        status = "skipped" if index % 5 == 4 else "success"
        runs.append(make_run(started_at=start + timedelta(minutes=index), status=status))
    return runs


def test_runs_default_page_is_the_newest_20(client, admin_headers, history):
    body = client.get(RUNS_URL, headers=admin_headers).get_json()

    ids = [run["id"] for run in body["data"]]
    assert ids == [run.id for run in reversed(history)][:20]
    assert body["pagination"] == {"limit": 20, "before": None, "nextBefore": ids[-1]}
    assert body["data"][0]["triggerKey"] == history[-1].trigger_key


def test_runs_cursor_walks_the_whole_history(client, admin_headers, history):
    seen = []
    before = None
    while True:
        query = f"?limit=7&before={before}" if before else "?limit=7"
        body = client.get(RUNS_URL + query, headers=admin_headers).get_json()
        seen += [run["id"] for run in body["data"]]
        before = body["pagination"]["nextBefore"]
        if before is None:
            break

    assert seen == [run.id for run in reversed(history)]


def test_runs_last_page_has_no_cursor(client, admin_headers, history):
    body = client.get(f"{RUNS_URL}?limit=25", headers=admin_headers).get_json()

    assert len(body["data"]) == 25
    assert body["pagination"]["nextBefore"] is None


def test_runs_filter_by_status(client, admin_headers, history):
    skipped = client.get(f"{RUNS_URL}?status=skipped", headers=admin_headers).get_json()["data"]
    others = client.get(
        f"{RUNS_URL}?status=success,failed,running&limit=200", headers=admin_headers
    ).get_json()["data"]

    assert len(skipped) == 5
    assert {run["status"] for run in skipped} == {"skipped"}
    assert len(others) == 20
    assert "skipped" not in {run["status"] for run in others}


def test_runs_filter_by_trigger_key(client, admin_headers, history):
    key = history[3].trigger_key

    data = client.get(f"{RUNS_URL}?triggerKey={key}", headers=admin_headers).get_json()["data"]

    assert [run["id"] for run in data] == [history[3].id]


def test_runs_rows_have_the_last_run_fields(client, admin_headers, history):
    row = client.get(f"{RUNS_URL}?limit=1", headers=admin_headers).get_json()["data"][0]

    assert set(row) == {
        "id",
        "startedAt",
        "completedAt",
        "duration",
        "status",
        "message",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "orphaned",
        "deleted",
        "errors",
        "triggerKey",
    }


def test_runs_empty_history(client, admin_headers):
    body = client.get(RUNS_URL, headers=admin_headers).get_json()

    assert body["data"] == []
    assert body["pagination"]["nextBefore"] is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("before=0", "before"),
        ("before=abc", "before"),
        ("status=done", "status"),
        ("status=success,bogus", "status"),
        ("status=,", "status"),
    ],
)
def test_runs_invalid_parameter_is_400(client, admin_headers, query, parameter):
    response = client.get(f"{RUNS_URL}?{query}", headers=admin_headers)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["parameter"] == parameter
    assert parameter in error["message"]
