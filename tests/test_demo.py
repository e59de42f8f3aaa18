"""`stays-reconciler demo` as a newcomer runs it: no DATABASE_URL or REDIS_URL, so it uses
embedded PostgreSQL and Redis, whatever the machine has running."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from app.stays.sandbox import start_sandbox
from tests.helpers import current_window
from tests.ledger import (
    expected_first_run,
    expected_no_change_run,
    expected_state_1_run,
    ids_in_window,
)

pytestmark = pytest.mark.integration

RUN_LINE = re.compile(
    r"^Run \d+ (?P<status>\w+) in \d+ ms: fetched (?P<fetched>\d+), created (?P<created>\d+), "
    r"updated (?P<updated>\d+), unchanged (?P<unchanged>\d+), orphaned \d+, "
    r"deleted (?P<deleted>\d+), errors (?P<errors>\d+)\."
)


class Printed:
    def __init__(self, match: re.Match):
        self.status = match["status"]
        for name in ("fetched", "created", "updated", "unchanged", "deleted", "errors"):
            setattr(self, name, int(match[name]))


def expected_runs():
    window = current_window()
    with start_sandbox() as sandbox:
        ids_0 = ids_in_window(sandbox.base_url, window.start, window.end)
        sandbox.dataset.set_state(1)
        ids_1 = ids_in_window(sandbox.base_url, window.start, window.end)
    return [
        expected_first_run(ids_0),
        expected_no_change_run(ids_0),
        expected_state_1_run(ids_0, ids_1),
    ]


def test_demo_prints_ledger_stats(services):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "STAYS_API_URL")
    }
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    output = result.stdout + result.stderr
    runs = [Printed(m) for m in map(RUN_LINE.match, output.splitlines()) if m]
    progress = [line for line in output.splitlines() if re.match(r"^Run \d+ running: ", line)]
    assert result.returncode == 0, output[-3000:]
    assert len(runs) == 3, output[-3000:]
    assert [run.status for run in runs] == ["success"] * 3
    for expected, printed in zip(expected_runs(), runs, strict=True):
        assert expected.matches(printed) == {}
    assert len(progress) >= 3
    assert "is malformed" in output
