"""`stays-reconciler demo`: three reconciliations of the sample data on embedded services."""

from __future__ import annotations

import logging
import os
import time
from importlib import resources

from app.embedded import EmbeddedServices

logger = logging.getLogger(__name__)

DEMO_RUNS = (
    ("first sync of state 0", 0),
    ("state 0 again, nothing changed", 0),
    ("state 1: stays created, cancelled, rescheduled, moved and deleted in Stays", 1),
)
RUN_TIMEOUT_SECONDS = 300


def run_demo(keep_running: bool = False) -> int:
    """Start the embedded stack, the sandbox and a worker; print each run's stats."""
    from app.stays.sandbox import start_sandbox

    print("Starting embedded PostgreSQL and Redis, the Stays sandbox and a worker...")
    with EmbeddedServices() as services:
        sandbox = start_sandbox()
        try:
            worker = _start_stack(services, sandbox.base_url)
            try:
                failed = _run_all(sandbox)
                if keep_running:
                    _wait_forever(services, sandbox.base_url)
            finally:
                worker.stop()
        finally:
            sandbox.stop()
    return 1 if failed else 0


def _start_stack(services: EmbeddedServices, stays_url: str):
    import dramatiq

    from app.config import reset_settings
    from app.migrate import upgrade

    os.environ.update(
        DATABASE_URL=services.database_url,
        REDIS_URL=services.redis_url,
        STAYS_API_URL=stays_url,
        STAYS_CLIENT_ID="sandbox",
        STAYS_CLIENT_SECRET="sandbox",  # noqa: S106 - the local sandbox's fixed credentials
    )
    reset_settings()
    upgrade(services.database_url)

    import actors  # noqa: F401 - binds the broker and the database to the embedded services
    from app.reconciliation.listings import import_listing_config

    config = resources.files("app.stays").joinpath("sample/listing-config.json")
    with resources.as_file(config) as path:
        import_listing_config(path)

    worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=8)
    worker.start()
    return worker


def _run_all(sandbox) -> bool:
    from app.runs_report import format_run, print_progress, send_trigger, wait_for_run

    failed = False
    for number, (label, state) in enumerate(DEMO_RUNS, start=1):
        sandbox.dataset.set_state(state)
        print(f"\nRun {number} of {len(DEMO_RUNS)}: {label}.")
        key = send_trigger()
        run = wait_for_run(key, RUN_TIMEOUT_SECONDS, print_progress)
        print(format_run(run))
        failed = failed or run.status != "success"
    return failed


def _wait_forever(services: EmbeddedServices, stays_url: str) -> None:
    print(
        f"\nServices stay up until Ctrl-C:\n  DATABASE_URL={services.database_url}\n"
        f"  REDIS_URL={services.redis_url}\n  STAYS_API_URL={stays_url}"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
