"""POST /api/admin/reconciliation/run: queue a manual trigger unless a run is active."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import pytest
import redis
from admin_factories import make_run, now

import api.reconciliation
from actors.queues import RECONCILE_QUEUE

RUN_URL = "/api/admin/reconciliation/run"


def queued_messages(broker) -> list[dramatiq.Message]:
    queue = broker.queues.get(RECONCILE_QUEUE)
    if queue is None:
        return []
    return [dramatiq.Message.decode(data) for data in list(queue.queue)]


def test_trigger_returns_202_with_the_queued_key(client, admin_headers, stub_broker):
    response = client.post(RUN_URL, headers=admin_headers)

    assert response.status_code == 202
    data = response.get_json()["data"]
    assert data["triggerKey"].startswith("manual:")
    assert data["status"] == "queued"
    assert data["queuedAt"].endswith("Z")
    assert response.headers["Location"].endswith(f"/runs?triggerKey={data['triggerKey']}")

    messages = queued_messages(stub_broker)
    assert len(messages) == 1
    assert messages[0].actor_name == "reconcile"
    assert messages[0].args == (data["triggerKey"],)


def test_trigger_keys_are_unique(client, admin_headers, stub_broker):
    first = client.post(RUN_URL, headers=admin_headers).get_json()["data"]["triggerKey"]
    second = client.post(RUN_URL, headers=admin_headers).get_json()["data"]["triggerKey"]

    assert first != second
    assert len(queued_messages(stub_broker)) == 2


def test_trigger_while_running_is_409(client, admin_headers, stub_broker):
    running = make_run(status="running", started_at=now() - timedelta(minutes=3))

    response = client.post(RUN_URL, headers=admin_headers)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "run_active"
    assert error["runId"] == running.id
    assert f"Run {running.id}" in error["message"]
    assert queued_messages(stub_broker) == []


def test_trigger_after_finished_runs_is_202(client, admin_headers, stub_broker):
    make_run(status="failed", started_at=now() - timedelta(minutes=40))
    make_run(status="skipped", started_at=now() - timedelta(minutes=35))

    assert client.post(RUN_URL, headers=admin_headers).status_code == 202


def test_trigger_over_a_stale_run_is_202(client, admin_headers, stub_broker):
    make_run(status="running", started_at=now() - timedelta(minutes=61))

    response = client.post(RUN_URL, headers=admin_headers)

    assert response.status_code == 202
    assert len(queued_messages(stub_broker)) == 1


@pytest.mark.parametrize(
    "error",
    [redis.ConnectionError("Connection refused"), dramatiq.errors.BrokerConnectionError("down")],
)
def test_trigger_with_broker_down_is_503(client, admin_headers, monkeypatch, error):
    def fail():
        raise error

    monkeypatch.setattr(api.reconciliation, "send_trigger", fail)

    response = client.post(RUN_URL, headers=admin_headers)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "broker_unavailable"


def test_trigger_with_get_is_405(client, admin_headers):
    response = client.get(RUN_URL, headers=admin_headers)

    assert response.status_code == 405
    assert response.is_json


def test_queued_trigger_starts_a_run_with_its_key(client, admin_headers, stub_broker, monkeypatch):
    """The worker side: the message the endpoint queued starts a run under the same key."""
    from app.reconciliation import trigger

    monkeypatch.setattr(trigger, "sync_listings", lambda client, timezone: None)
    sent = []
    monkeypatch.setattr(trigger, "send", lambda *args, **kwargs: sent.append(args))
    key = client.post(RUN_URL, headers=admin_headers).get_json()["data"]["triggerKey"]
    message = queued_messages(stub_broker)[0]

    run_id = trigger.handle_trigger(*message.args)

    runs = client.get(f"/api/admin/reconciliation/runs?triggerKey={key}", headers=admin_headers)
    assert [run["id"] for run in runs.get_json()["data"]] == [run_id]
    assert len(sent) == 1
    assert run_id in sent[0]
    status = client.get("/api/admin/reconciliation/status", headers=admin_headers).get_json()
    assert status["data"]["currentStatus"] == "running"
    assert client.post(RUN_URL, headers=admin_headers).status_code == 409
