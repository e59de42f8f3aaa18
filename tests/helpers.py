"""Test helpers shared by several modules."""

from __future__ import annotations

from app.config import get_settings
from app.reconciliation.runs import window_for
from app.reconciliation.trigger import today_for_account
from app.runs_report import send_trigger, wait_for_run
from app.stays.client import Window


def run_once(timeout_seconds: float = 120):
    """Send a trigger and return its finished run (a worker must be running)."""
    return wait_for_run(send_trigger(), timeout_seconds)


def current_window() -> Window:
    settings = get_settings()
    return window_for(
        today_for_account(), settings.RECONCILE_LOOKBACK_DAYS, settings.RECONCILE_HORIZON_DAYS
    )
