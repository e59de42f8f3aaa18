"""The sandbox served over loopback HTTP: start and stop, delays, the CLI entry point, speed."""

import logging
import time

import pytest
import requests
from werkzeug.serving import BaseWSGIServer

from app.stays.sandbox import (
    RESERVATION_TYPES,
    FaultRule,
    SandboxDataset,
    serve_sandbox,
    start_sandbox,
)

CREDENTIALS = ("sandbox", "sandbox")
WHOLE_SAMPLE = [
    ("from", "2025-01-01"),
    ("to", "2028-12-31"),
    ("dateType", "included"),
    *(("type", kind) for kind in RESERVATION_TYPES),
]


def test_started_sandbox_serves_on_loopback(running_sandbox):
    response = requests.get(
        running_sandbox.base_url + "/content/listings", auth=CREDENTIALS, timeout=5
    )

    assert running_sandbox.base_url.startswith("http://127.0.0.1:")
    assert running_sandbox.base_url.endswith("/external/v1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert len(response.json()) == 12


def test_stopped_sandbox_refuses_connections(sandbox_dataset):
    sandbox = start_sandbox(sandbox_dataset)
    sandbox.stop()
    sandbox.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(sandbox.base_url + "/content/listings", auth=CREDENTIALS, timeout=5)


def test_custom_credentials_are_required(sandbox_dataset):
    with start_sandbox(sandbox_dataset, client_id="acme", client_secret="s3cret") as sandbox:
        accepted = requests.get(
            sandbox.base_url + "/content/listings", auth=("acme", "s3cret"), timeout=5
        )
        rejected = requests.get(sandbox.base_url + "/content/listings", auth=CREDENTIALS, timeout=5)

    assert accepted.status_code == 200
    assert rejected.status_code == 401


def test_delay_fault_times_out_once(running_sandbox):
    running_sandbox.faults.add(FaultRule("/content/listings", delay_seconds=0.5))
    url = running_sandbox.base_url + "/content/listings"

    with pytest.raises(requests.ReadTimeout):
        requests.get(url, auth=CREDENTIALS, timeout=(5, 0.1))
    # The second request would raise ReadTimeout too if the fault were not used up.
    response = requests.get(url, auth=CREDENTIALS, timeout=(5, 0.1))

    assert response.status_code == 200
    assert running_sandbox.request_counter.counts() == {"/content/listings": 2}


def test_delay_fault_then_serves_the_real_response(running_sandbox):
    running_sandbox.faults.add(FaultRule("/content/listings", delay_seconds=0.3))

    started = time.perf_counter()
    response = requests.get(
        running_sandbox.base_url + "/content/listings", auth=CREDENTIALS, timeout=5
    )

    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200
    assert len(response.json()) == 12


def test_faults_armed_over_http_reach_the_api(running_sandbox):
    control_url = running_sandbox.base_url.removesuffix("/external/v1") + "/_sandbox"
    requests.post(
        control_url + "/faults",
        json={"path": "/booking/reservations", "status": 429, "headers": {"Retry-After": "2"}},
        auth=CREDENTIALS,
        timeout=5,
    )

    response = requests.get(
        running_sandbox.base_url + "/booking/reservations",
        params=WHOLE_SAMPLE,
        auth=CREDENTIALS,
        timeout=5,
    )
    counts = requests.get(control_url + "/requests", auth=CREDENTIALS, timeout=5).json()

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert counts == {"/booking/reservations": 1}


def test_serve_sandbox_logs_base_url(monkeypatch, caplog):
    def return_at_once(server, poll_interval=0.5):
        server.server_close()

    monkeypatch.setattr(BaseWSGIServer, "serve_forever", return_at_once)
    caplog.set_level(logging.DEBUG, logger="app.stays.sandbox")

    serve_sandbox("127.0.0.1", 0, 1, "acme", "very-secret-value")

    assert "Stays sandbox serving http://127.0.0.1:" in caplog.text
    assert "/external/v1 in state 1." in caplog.text
    assert "Stays sandbox stopped." in caplog.text
    assert "very-secret-value" not in caplog.text


def test_ten_thousand_reservations_page_completely(sandbox_dataset):
    template = sandbox_dataset.reservations()[0]
    sandbox_dataset.replace_reservations(
        [{**template, "_id": f"{n:024x}", "id": f"BX{n:04d}A"} for n in range(10_000)]
    )
    params = [("from", template["checkInDate"]), ("to", template["checkOutDate"])]
    params += [("dateType", "included"), ("limit", "100")]
    # Only the ids are kept, so the client's memory stays flat while it pages.
    received_ids = []

    with start_sandbox(sandbox_dataset) as sandbox, requests.Session() as session:
        session.auth = CREDENTIALS
        while True:
            page = session.get(
                sandbox.base_url + "/booking/reservations",
                params=[*params, ("skip", str(len(received_ids)))],
                timeout=5,
            ).json()
            received_ids += [record["_id"] for record in page]
            if len(page) < 100:
                break

    # Paging speed is measured by bench/bench_reconcile.py, not asserted here.
    assert len(received_ids) == 10_000
    assert len(set(received_ids)) == 10_000


def test_default_dataset_is_the_sample_in_state_0():
    sandbox_dataset = SandboxDataset.from_directory()

    assert sandbox_dataset.state == 0
    assert sandbox_dataset.reservation_count() == 400
