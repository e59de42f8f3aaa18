import json
from datetime import date

import pytest

from app.stays.sandbox import (
    API_PREFIX,
    DEFAULT_DATA_DIR,
    RESERVATION_TYPES,
    FaultRules,
    RequestCounter,
    SandboxDataset,
    create_sandbox_app,
    start_sandbox,
)

CREDENTIALS = ("sandbox", "sandbox")
# With today set to the manifest's reference date the dates are not shifted, so tests can
# use the sample files' dates as written.
REFERENCE_DATE = date.fromisoformat(
    json.loads((DEFAULT_DATA_DIR / "manifest.json").read_text())["reference_date"]
)
# A window that contains every reservation of both sample states.
WHOLE_SAMPLE = {"from": "2025-01-01", "to": "2028-12-31", "dateType": "included"}


@pytest.fixture
def sandbox_dataset():
    return SandboxDataset.from_directory(today=REFERENCE_DATE)


@pytest.fixture
def sandbox_faults():
    return FaultRules()


@pytest.fixture
def sandbox_request_counter():
    return RequestCounter()


@pytest.fixture
def sandbox_client(sandbox_dataset, sandbox_faults, sandbox_request_counter):
    app = create_sandbox_app(
        sandbox_dataset, faults=sandbox_faults, request_counter=sandbox_request_counter
    )
    return app.test_client()


@pytest.fixture
def sandbox_get(sandbox_client):
    """GET a Stays API path (relative to /external/v1) with the sandbox credentials."""

    def get(path, query=None, auth=CREDENTIALS):
        return sandbox_client.get(API_PREFIX + path, query_string=query, auth=auth)

    return get


@pytest.fixture
def reservations_query():
    """Build /booking/reservations parameters: the whole sample, all six types, 100 a page."""

    def build(**overrides):
        query = {**WHOLE_SAMPLE, "type": list(RESERVATION_TYPES), "limit": "100"}
        query.update(overrides)
        return {name: value for name, value in query.items() if value is not None}

    return build


@pytest.fixture
def running_sandbox(sandbox_dataset):
    sandbox = start_sandbox(sandbox_dataset)
    yield sandbox
    sandbox.stop()
