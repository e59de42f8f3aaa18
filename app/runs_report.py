"""Sending a trigger and waiting for its run; formatting runs for the terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import peewee

from app.reconciliation.trigger import manual_trigger_key
from models import STAT_FIELDS, ReconciliationItem, ReconciliationLog

PROGRESS_INTERVAL_SECONDS = 2.0


class RunTimeoutError(TimeoutError):
    pass


def send_trigger() -> str:
    """Send the reconcile message with a fresh trigger key and return the key."""
    import dramatiq

    key = manual_trigger_key()
    dramatiq.get_broker().get_actor("reconcile").send(key)
    return key


def run_progress(run: ReconciliationLog) -> str:
    done, total = (
        ReconciliationItem.select(peewee.fn.COUNT(ReconciliationItem.outcome), peewee.fn.COUNT(1))
        .where(ReconciliationItem.run == run.id)
        .tuples()
        .get()
    )
    paging = "paging done" if run.paging_completed_at else "paging"
    return f"Run {run.id} running: {done}/{total} reservations processed ({paging})."


def wait_for_run(
    trigger_key: str,
    timeout_seconds: float,
    on_progress: Callable[[str], None] | None = None,
    poll_seconds: float = 0.1,
) -> ReconciliationLog:
    """Poll until the trigger's run (or skipped row) has ended; report progress meanwhile."""
    deadline = time.monotonic() + timeout_seconds
    next_progress = 0.0  # the first line as soon as the run has started, then every interval
    while time.monotonic() < deadline:
        run = (
            ReconciliationLog.select()
            .where(ReconciliationLog.trigger_key == trigger_key)
            .order_by(ReconciliationLog.id.desc())
            .first()
        )
        if run is not None and run.status != "running":
            return run
        if run is not None and on_progress and time.monotonic() >= next_progress:
            on_progress(run_progress(run))
            next_progress = time.monotonic() + PROGRESS_INTERVAL_SECONDS
        time.sleep(poll_seconds)
    raise RunTimeoutError(
        f"No run for trigger {trigger_key} ended within {timeout_seconds:.0f} s. Check that a "
        "worker is running (`dramatiq actors`) and see `stays-reconciler status`."
    )


def format_run(run: ReconciliationLog) -> str:
    stats = ", ".join(f"{name} {getattr(run, name)}" for name in STAT_FIELDS)
    duration = f"{run.duration} ms" if run.duration is not None else "-"
    pins = (
        f"PIN jobs scheduled {run.pins_scheduled}, moved {run.pins_moved}, "
        f"cancelled {run.pins_cancelled}."
    )
    message = f" {run.message.rstrip('.')}." if run.message else ""
    return f"Run {run.id} {run.status} in {duration}: {stats}. {pins}{message}"


def format_runs_table(runs: list[ReconciliationLog]) -> str:
    header = ["id", "startedAt", "status", "duration_ms", *STAT_FIELDS, "message"]
    rows = [
        [
            str(run.id),
            run.started_at.strftime("%Y-%m-%d %H:%M:%S%z") if run.started_at else "-",
            run.status,
            "-" if run.duration is None else str(run.duration),
            *(str(getattr(run, name)) for name in STAT_FIELDS),
            " ".join((run.message or "").split())[:60],
        ]
        for run in runs
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def print_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
